"""``patrol map``: the command-center map of a plan folder, or one officer's map."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "map",
        help="the command-center map of a plan folder, or an officer's map of one line/point",
        description="Writes a standalone HTML map (Leaflet and its styles inlined from installed "
        "packages: it opens with no internet). Without --line/--point: the command-center map "
        "of the whole night; with --line LINE_ID or --point POINT_ID and --slot: the map an "
        "officer opens on a phone.",
    )
    p.add_argument("plan_dir", metavar="PLAN_DIR", help="folder written by patrol plan/demo")
    target = p.add_mutually_exclusive_group()
    target.add_argument("--line", metavar="LINE_ID", help="officer map of this patrol line")
    target.add_argument("--point", metavar="POINT_ID", help="officer map of this control point")
    p.add_argument("--slot", help="slot of the line or point, e.g. 22:00-23:00")
    p.add_argument("--lang", choices=("en", "zh"), default="en", help="labels (en or zh)")
    p.add_argument(
        "--tiles",
        default="osm",
        help="'osm' (default, needs internet), 'none' (the roads are the base layer) or a tile "
        "URL template such as http://tiles.intranet/{z}/{x}/{y}.png",
    )
    p.add_argument("--out", metavar="FILE", help="HTML file (default: in PLAN_DIR)")
    p.set_defaults(func=cmd)


def tiles_option(text: str) -> str | None:
    return None if text.lower() == "none" else text


def map_files(layers: Any, args: argparse.Namespace) -> tuple[str, dict[str, bytes]]:
    """Build the map ``args`` ask for; returns its file name and files."""
    from geo.errors import InputError
    from maps.assets import map_files as files_of
    from maps.command_map import command_map
    from maps.officer_map import officer_map

    tiles = tiles_option(args.tiles)
    if args.line or args.point:
        if not args.slot:
            msg = "--slot is needed with --line or --point (e.g. --slot 22:00-23:00)"
            raise InputError(msg)
        m = officer_map(
            layers, slot=args.slot, line_id=args.line, point_id=args.point, lang=args.lang,
            tiles=tiles,
        )  # fmt: skip
        slot = args.slot.replace(":", "").replace("-", "_")
        name = f"officer_{args.line or args.point}_{slot}.html"
    else:
        m = command_map(layers, lang=args.lang, tiles=tiles)
        name = "command_map.html" if args.lang == "en" else f"command_map_{args.lang}.html"
    if args.out:
        name = Path(args.out).name
    return name, files_of(m, name)


def cmd(args: argparse.Namespace) -> int:
    from geo.export import write_files
    from geo.plan_files import read_plan_dir

    layers = read_plan_dir(args.plan_dir)
    name, files = map_files(layers, args)
    folder = Path(args.out).parent if args.out else Path(args.plan_dir)
    written = write_files(folder, files)
    size_kb = len(files[name]) / 1024
    print(f"wrote {written[0]} ({size_kb:,.0f} KB, opens offline)")
    return 0
