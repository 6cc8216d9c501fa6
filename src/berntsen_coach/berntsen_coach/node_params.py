"""Declaring a node's parameters: with descriptions and ranges, read once at start."""
from __future__ import annotations

from rcl_interfaces.msg import FloatingPointRange, ParameterDescriptor
from rclpy.node import Node


def ranged(unit: str):
    """A spec maker for a number in a range: spec(description, default, low, high)."""
    def spec(description: str, default: float, low: float, high: float):
        return default, ParameterDescriptor(
            description=f'{description} ({low}-{high} {unit})',
            floating_point_range=[FloatingPointRange(from_value=float(low),
                                                     to_value=float(high))])
    return spec


def described(default, description: str):
    """A spec for a parameter of any type with a description: (default, descriptor)."""
    return default, ParameterDescriptor(description=description)


def declare_read_only(node: Node, specs: dict) -> dict:
    """Declare {name: (default, descriptor)} read-only (read once at start: a later change
    would do nothing) and return their values."""
    values = {}
    for name, (default, descriptor) in specs.items():
        descriptor.read_only = True
        values[name] = node.declare_parameter(name, default, descriptor).value
    return values
