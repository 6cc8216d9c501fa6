"""Headless MuJoCo simulation of the Berntsen robot, a bedroom and a scripted virtual patient."""
