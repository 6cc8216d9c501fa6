"""The morning as a behaviour tree: its composition, chosen by the programme.

    Morning                              (priority: the first that applies wins)
    ├── Stopped?        → Stop the session
    ├── On the floor?   → Call for help
    ├── Help?           → Help is coming
    └── Unless paused   (Pause: the morning waits, its clock stopped)
        └── Unless blind    (Cannot see: the same)
            └── Routine     (a caregiver is called when a step's patience runs out)
                ├── Approach the bed, Greet, Wake up
                ├── the programme's in-bed exercises (skipped by a person already up)
                ├── Out of bed  (lying down again starts it over: sit up, stand up)
                │   └── Sit up, Stand up, the sets, rests and tests, in the programme's order
                └── Summary, Goodbye, Done

To add a step, write a behaviour (see getting_up.py) and put it in `routine_steps`.
"""
from __future__ import annotations

import py_trees

from ..programme import ClinicalTestItem, ExerciseItem
from .base import BackToBedRestarts, Suspend
from .clinical_test import ClinicalTest
from .context import Morning
from .ending import Done, Goodbye, NoResponse, Summary
from .exercise_set import ExerciseSet, ItemProgress, Rest
from .getting_up import Approach, Greet, SitUp, StandUp, WakeUp
from .interrupts import (Condition, NobodySeen, Paused, Stopped, help_from_the_floor,
                         help_pressed)


def programme_part(m: Morning, indexed_items) -> list[py_trees.behaviour.Behaviour]:
    """Each item's sets with their rests (none after the last item, none before getting
    up), and the clinical tests, in the programme's order."""
    items = m.programme.items
    out = []
    for index, item in indexed_items:
        has_next = index + 1 < len(items)
        getting_up_next = has_next and isinstance(item, ExerciseItem) and item.in_bed \
            and not getattr(items[index + 1], 'in_bed', False)
        rest = 0.0 if getting_up_next else item.rest_seconds
        if isinstance(item, ClinicalTestItem):
            out.append(ClinicalTest(m, index, item))
            if has_next and rest > 0:
                out.append(Rest(m, rest, 0, ItemProgress(), last_item=False))
            continue
        progress = ItemProgress()
        for number in range(1, item.sets + 1):
            out.append(ExerciseSet(m, index, item, number, progress))
            if rest > 0 and (number < item.sets or has_next):
                out.append(Rest(m, rest, number, progress, last_item=not has_next))
    return out


def routine_steps(m: Morning) -> list[py_trees.behaviour.Behaviour]:
    items = list(enumerate(m.programme.items))
    in_bed = [(i, item) for i, item in items if getattr(item, 'in_bed', False)]
    upright = [(i, item) for i, item in items if not getattr(item, 'in_bed', False)]
    steps = [Approach(m)] if m.settings.approach else []
    steps += [Greet(m), WakeUp(m)]
    if in_bed:
        steps.append(py_trees.composites.Sequence(
            'In bed', memory=True, children=programme_part(m, in_bed)))
    if upright and m.programme.gets_up:
        steps.append(BackToBedRestarts('Out of bed', m, py_trees.composites.Sequence(
            'Get up and exercise', memory=True,
            children=[SitUp(m), StandUp(m)] + programme_part(m, upright))))
    steps += [Summary(m), Goodbye(m), Done(m)]
    return steps


def morning_tree(m: Morning) -> py_trees.behaviour.Behaviour:
    routine = py_trees.composites.Selector('Routine', memory=True, children=[
        py_trees.composites.Sequence('Morning steps', memory=True, children=routine_steps(m)),
        NoResponse(m),
    ])

    def say(key):
        return lambda: m.say(key, m.phrases.text(key))

    def interrupt(name, question, holds, behaviour):
        return py_trees.composites.Sequence(name, memory=False, children=[
            Condition(question, m, holds), behaviour])

    return py_trees.composites.Selector('Morning', memory=False, children=[
        interrupt('Session stopped', 'Stopped?', lambda m: m.stop_reason is not None,
                  Stopped(m)),
        interrupt('Person on the floor', 'On the floor?', lambda m: m.fell,
                  help_from_the_floor(m)),
        interrupt('Help pressed', 'Help?', lambda m: m.help_requested, help_pressed(m)),
        Suspend('Unless paused', lambda: m.paused, Paused(m), Suspend(
            'Unless blind', lambda: m.blind_since is not None, NobodySeen(m), routine,
            on_resume=say('can_see_again')), on_resume=say('resumed')),
    ])


LEGEND = ('[o] the first child that applies wins; a higher one interrupts a lower one\n'
          '[-] the children in turn   {o} {-} the same, resuming where they were\n'
          '-^- a decorator            --> a behaviour')


def tree_text(root: py_trees.behaviour.Behaviour, status: bool = False) -> str:
    return py_trees.display.unicode_tree(root, show_status=status)


def tree_dot(root: py_trees.behaviour.Behaviour) -> str:
    return py_trees.display.dot_tree(root).to_string()


def running_path(root: py_trees.behaviour.Behaviour) -> list[tuple[str, str]]:
    """(behaviour, what it waits for) from the root down to the running leaf."""
    node, out = root, []
    while node is not None and node.status is py_trees.common.Status.RUNNING:
        out.append((node.name, node.feedback_message))
        node = node.decorated if isinstance(node, py_trees.decorators.Decorator) \
            else getattr(node, 'current_child', None)
    return out
