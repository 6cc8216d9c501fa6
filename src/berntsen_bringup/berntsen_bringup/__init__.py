"""Graph description, launch files, parameters and the berntsen command of the Berntsen robot."""
