"""Where the coach's configuration lives (no rclpy: the simulator's judge reads it too)."""
from __future__ import annotations

from pathlib import Path

CONFIG = Path(__file__).resolve().parent.parent / 'config'


def package_config() -> Path:
    """config/ of this package: the installed share/ copy, else the source tree's."""
    if (CONFIG / 'exercises.yaml').is_file():
        return CONFIG
    from ament_index_python.packages import PackageNotFoundError, get_package_share_directory
    try:
        return Path(get_package_share_directory('berntsen_coach')) / 'config'
    except (PackageNotFoundError, OSError):   # OSError: AMENT_PREFIX_PATH unset
        return CONFIG


def resolve_programme(name_or_path: str) -> Path:
    """A programme file path, or a bare name of one in config/programmes/."""
    if '/' in name_or_path or name_or_path.endswith(('.yaml', '.yml')):
        return Path(name_or_path).expanduser()
    return package_config() / 'programmes' / f'{name_or_path}.yaml'
