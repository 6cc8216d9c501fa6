"""Declaring a node parameter with its description and range in one call."""
from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor


def declare(node, name, default, description, float_range=None, int_range=None):
    """Declare `name` on `node` and return its value; ValueError when outside the range.

    rclpy enforces a declared range on later `set_parameters` calls; the check here also
    covers a value that came from the command line or a parameter file at start-up.
    """
    descriptor = ParameterDescriptor(description=description)
    if float_range is not None:
        descriptor.floating_point_range = [
            FloatingPointRange(from_value=float_range[0], to_value=float_range[1])]
    if int_range is not None:
        descriptor.integer_range = [
            IntegerRange(from_value=int_range[0], to_value=int_range[1], step=1)]
    value = node.declare_parameter(name, default, descriptor).value
    bounds = float_range or int_range
    if bounds is not None and not bounds[0] <= value <= bounds[1]:
        raise ValueError(f'parameter {name}={value} is outside [{bounds[0]}, {bounds[1]}]')
    return value
