"""Speech (pyttsx3 over espeak-ng) and differential-drive motor drivers of the Berntsen robot."""
