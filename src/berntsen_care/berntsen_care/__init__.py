"""The care team's service: PostgreSQL store, robot sync API and the staff web app (not a ROS node)."""
