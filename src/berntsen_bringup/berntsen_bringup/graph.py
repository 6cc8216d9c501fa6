"""The graph description (config/graph.yaml) as plain data; no rclpy, no launch.

Both the launch files and the `berntsen` command build their nodes from `load_profile()`.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

PACKAGE = 'berntsen_bringup'


@dataclass(frozen=True)
class GraphNode:
    name: str
    package: str
    executable: str
    description: str = ''
    remappings: dict[str, str] = field(default_factory=dict)
    respawn: bool = False   # start it again when it dies

    @property
    def module(self) -> str:
        return f'{self.package}.{self.executable}'


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    params_file: Path
    nodes: tuple[GraphNode, ...]


def config_dir() -> Path:
    """config/ of this package: the source tree's when running from sources, else share/."""
    source_config = Path(__file__).resolve().parent.parent / 'config'
    if (source_config / 'graph.yaml').exists():
        return source_config
    from ament_index_python.packages import PackageNotFoundError, get_package_share_directory
    try:
        return Path(get_package_share_directory(PACKAGE)) / 'config'
    except (PackageNotFoundError, OSError):
        # AMENT_PREFIX_PATH unset: the venv or prefix this module was installed into
        return Path(sys.prefix) / 'share' / PACKAGE / 'config'


# A parameter file's section for a node under any namespace (rcl's `/**` wildcard), so that
# `namespace:=r1` keeps every node's parameters.
ANY_NAMESPACE = '/**/'


def load_parameters(path: str | os.PathLike) -> dict[str, dict]:
    """A profile's parameter file as {node name: its ros__parameters}. Every section must be
    keyed `/**/<node>`: a bare node name matches only the un-namespaced node, and under a
    namespace rcl would drop the section without a word."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding='utf-8')) or {}
    except OSError as exc:
        raise ValueError(f'{path}: cannot read the parameter file: {exc.strerror}') from exc
    except yaml.YAMLError as exc:
        raise ValueError(f'{path}: not valid YAML: {exc}') from exc
    sections = {}
    for key, section in data.items():
        if not str(key).startswith(ANY_NAMESPACE):
            raise ValueError(f'{path}: section "{key}" must be keyed "{ANY_NAMESPACE}{key}" '
                             'so that it reaches the node under any namespace')
        if not isinstance(section, dict) or set(section) != {'ros__parameters'}:
            raise ValueError(f'{path}: section "{key}" must hold only "ros__parameters"')
        sections[key[len(ANY_NAMESPACE):]] = section['ros__parameters'] or {}
    return sections


def load_graph(path: str | os.PathLike | None = None) -> dict:
    path = Path(path) if path else config_dir() / 'graph.yaml'
    try:
        with open(path, encoding='utf-8') as f:
            graph = yaml.safe_load(f)
    except OSError as exc:
        raise ValueError(f'{path}: cannot read the graph description: {exc.strerror}') from exc
    except yaml.YAMLError as exc:
        raise ValueError(f'{path}: not valid YAML: {exc}') from exc
    if not isinstance(graph, dict) or not isinstance(graph.get('nodes'), dict) \
            or not isinstance(graph.get('profiles'), dict):
        raise ValueError(f'{path}: needs a "nodes" mapping and a "profiles" mapping')
    return graph


def profile_names(graph: dict | None = None) -> list[str]:
    return list((graph or load_graph())['profiles'])


def load_profile(name: str, graph_path: str | os.PathLike | None = None,
                 extra_nodes: tuple[str, ...] = ()) -> Profile:
    """The nodes of one profile (and `extra_nodes` of the graph it does not list, before its
    last node), with their remappings and the profile's parameter file."""
    path = Path(graph_path) if graph_path else config_dir() / 'graph.yaml'
    graph = load_graph(path)
    profiles = graph['profiles']
    if name not in profiles:
        raise ValueError(f'{path}: unknown profile "{name}"; choose one of {", ".join(profiles)}')
    spec = profiles[name]
    names = list(spec.get('nodes', []))
    for extra in extra_nodes:
        if extra not in names:
            names.insert(max(len(names) - 1, 0), extra)
    nodes = []
    for node_name in names:
        entry = graph['nodes'].get(node_name)
        if not isinstance(entry, dict):
            raise ValueError(f'{path}: profile "{name}" names node "{node_name}", '
                             f'which is not defined under "nodes"')
        missing = [key for key in ('package', 'executable') if key not in entry]
        if missing:
            raise ValueError(f'{path}: node "{node_name}" lacks {", ".join(missing)}')
        respawn = entry.get('respawn', False)
        if not isinstance(respawn, bool):
            raise ValueError(f'{path}: node "{node_name}": respawn must be true or false, '
                             f'not {respawn!r}')
        remappings = dict(entry.get('remappings') or {})
        remappings.update((spec.get('remappings') or {}).get(node_name) or {})
        nodes.append(GraphNode(name=node_name, package=entry['package'],
                               executable=entry['executable'],
                               description=entry.get('description', ''),
                               remappings=remappings, respawn=respawn))
    params_file = path.parent / spec.get('params_file', f'params_{name}.yaml')
    return Profile(name=name, description=spec.get('description', ''),
                   params_file=params_file, nodes=tuple(nodes))
