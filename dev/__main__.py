"""`python -m dev <command>`: what the Makefile runs."""

import argparse
import sys
import warnings

from . import install as installer
from . import odoo, postgres

warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")


def cmd_install(_args):
    root = installer.install()
    print(f"Odoo 19.0 ready from {root}")


def cmd_pg(args):
    if args.action == "start":
        print(postgres.start())
    elif args.action == "stop":
        postgres.stop()


def cmd_odoo(args):
    root = installer.install()
    connection = postgres.start()
    odoo.write_config(root, connection)
    return odoo.run(args.odoo_args, connection, check=False).returncode


def cmd_demo(args):
    from . import demo

    return demo.main(args)


def cmd_test(args):
    from . import testrun

    return testrun.main(args)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m dev", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("install", help="install Odoo 19.0 and the requirements").set_defaults(
        func=cmd_install
    )
    pg = sub.add_parser("pg", help="start or stop the embedded PostgreSQL")
    pg.add_argument("action", choices=["start", "stop"])
    pg.set_defaults(func=cmd_pg)
    run = sub.add_parser("odoo", help="run odoo-bin with this checkout's configuration")
    run.add_argument("odoo_args", nargs=argparse.REMAINDER)
    run.set_defaults(func=cmd_odoo)
    demo = sub.add_parser("demo", help="create the demo database once and serve Odoo")
    demo.add_argument("--port", type=int, default=8069)
    demo.add_argument("--sandbox-port", type=int, default=8090)
    demo.set_defaults(func=cmd_demo)
    test = sub.add_parser("test", help="run the whole test suite")
    test.add_argument("pytest_args", nargs=argparse.REMAINDER)
    test.set_defaults(func=cmd_test)
    args = parser.parse_args(argv)
    if getattr(args, "odoo_args", None) and args.odoo_args[0] == "--":
        args.odoo_args = args.odoo_args[1:]
    try:
        return args.func(args) or 0
    except installer.SetupError as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
