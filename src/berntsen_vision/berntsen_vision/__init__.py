"""Camera source, MediaPipe BlazePose body tracking and posture classification for the Berntsen robot."""
