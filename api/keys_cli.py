"""``patrol keys create NAME | list | revoke ID``: API keys of the service (stored hashed)."""

from __future__ import annotations

import argparse
import time

from api.config import Settings
from api.security import create_key
from api.storage import Storage


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "keys",
        help="create, list and revoke the service's API keys",
        description="API keys for the planning endpoints, in the service's database "
        "(PATROL_DB_PATH or PATROL_DATA_DIR). A new key is printed once; only its hash is kept.",
    )
    p.add_argument("--db", metavar="FILE", help="database (default: from the PATROL_ settings)")
    ks = p.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    c = ks.add_parser("create", help="make a key and print it (once)")
    c.add_argument("name", help="who or what the key is for, e.g. 'dispatch-centre'")
    ks.add_parser("list", help="list keys (ids and names, never the keys)")
    r = ks.add_parser("revoke", help="revoke a key by id")
    r.add_argument("id", help="the key's id (see `patrol keys list`)")
    p.set_defaults(func=cmd)


def _when(t: float | None) -> str:
    return "-" if t is None else time.strftime("%Y-%m-%d %H:%M", time.localtime(t))


def cmd(args: argparse.Namespace) -> int:
    from geo.errors import InputError

    storage = Storage(args.db if args.db else Settings().database)
    if args.keys_command == "create":
        new = create_key(storage, name=args.name)
        print(f"key {new.id} ({new.name}) created; it is shown only now:")
        print(new.key)
        return 0
    if args.keys_command == "list":
        rows = storage.list_keys()
        if not rows:
            print("no keys")
        for row in rows:
            state = "revoked " + _when(row.revoked_at) if row.revoked_at else "active"
            print(f"{row.id}  {row.name:<24} created {_when(row.created_at)}  {state}")
        return 0
    if not storage.revoke_key(args.id):
        msg = f"no active key with id {args.id!r}"
        raise InputError(msg)
    print(f"key {args.id} revoked")
    return 0
