"""Coaching routines, exercise programmes, repetition counting and the session log of the Berntsen robot."""
