"""``gan-lab hub ...``: the course server's commands (parsing only; the work is in
``gan_lab.course.hub``, imported when a command runs, so the student build still parses them)."""
from __future__ import annotations

import argparse
from pathlib import Path


def _settings(args: argparse.Namespace):
    from gan_lab.course.hub.settings import HubSettings

    return HubSettings.load(args.settings)


def cmd_setup(args: argparse.Namespace) -> int:
    import dataclasses

    from gan_lab.course.hub.provision import setup
    from gan_lab.course.hub.settings import HubSettings, HubSetupError

    path = Path(args.prefix) / "etc" / "hub.json"
    try:
        settings = HubSettings.load(path)
    except HubSetupError:
        if path.exists():
            raise
        settings = HubSettings(prefix=Path(args.prefix))
    changes = {name: value for name, value in (
        ("prefix", args.prefix), ("course_root", args.course), ("exchange_root", args.exchange),
        ("data_root", args.data), ("lab", args.lab), ("bind_url", args.bind_url),
        ("subdomain_host", args.subdomain_host), ("formgrader", args.formgrader),
        ("course_id", args.course_id), ("language", args.language)) if value is not None}
    if args.admin:
        changes["admin_users"] = tuple(args.admin)
    if "subdomain_host" in changes and "formgrader" not in changes:
        changes["formgrader"] = "subdomains" if changes["subdomain_host"] else "own-tab"
    settings = HubSettings(**{**dataclasses.asdict(settings), **changes})
    setup(settings, python=args.python, mnist_source=args.mnist_source)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from gan_lab.course.hub.checks import server_problems

    problems = server_problems(_settings(args))
    for problem in problems:
        print(f"problem: {problem}")
    print("The course server is ready." if not problems else f"{len(problems)} problem(s) to fix.")
    return 1 if problems else 0


def cmd_add_user(args: argparse.Namespace) -> int:
    from gan_lab.course.hub.accounts import add_user

    print(add_user(_settings(args), args.name, args.role))
    return 0


def cmd_next_lab(args: argparse.Namespace) -> int:
    from gan_lab.course.hub.provision import next_lab

    next_lab(_settings(args), args.lab)
    return 0


def add_hub_parser(commands, parser_class) -> None:
    hub = commands.add_parser("hub", help="set up and run the course on a JupyterHub",
                              description="The course server: one machine serving a class "
                                          "through JupyterHub (deploy/jupyterhub/README.md).")
    actions = hub.add_subparsers(dest="hub_command", metavar="ACTION", parser_class=parser_class)
    actions.required = True
    settings_help = "the server's settings file (default: $GAN_LAB_HUB_SETTINGS or /opt/gan-lab/etc/hub.json)"

    setup = actions.add_parser("setup", help="set up or update the course server (root; "
                                             "deploy/jupyterhub/setup.sh runs it)",
                               description="Groups, the course folder's permissions, the "
                                           "exchange, the class's MNIST, the students' "
                                           "environment with the student build of --lab, each "
                                           "environment's configuration, JupyterHub's "
                                           "configuration and its systemd unit. Options left "
                                           "out keep the values of the last set-up.")
    setup.add_argument("--prefix", default="/opt/gan-lab", help="where the environments, the "
                                                                 "settings and the hub's state live")
    setup.add_argument("--course", help="the course folder, a clone of this repository")
    setup.add_argument("--exchange", help="nbgrader's exchange (default: /srv/nbgrader/exchange)")
    setup.add_argument("--data", help="the class's read-only MNIST folder (default: /srv/gan-lab/data)")
    setup.add_argument("--mnist-source", help="a folder of MNIST IDX files to prepare it from")
    setup.add_argument("--lab", help="the lab the students' environment holds (default: mlp_gan)")
    setup.add_argument("--course-id", help="nbgrader's course id (default: gan-lab)")
    setup.add_argument("--language", help="the class's language, e.g. zh_CN (gan-lab release LAB "
                                          "--lang; default: English)")
    setup.add_argument("--bind-url", help="where the hub listens (default: http://:8000)")
    setup.add_argument("--subdomain-host", help="serve each user on a host of their own under "
                                                "this URL (https://hub.example.edu) and show "
                                                "formgrader inside JupyterLab; '' for one domain")
    setup.add_argument("--formgrader", choices=("subdomains", "own-tab"),
                       help="how formgrader is shown (default: subdomains with --subdomain-host, "
                            "else own-tab)")
    setup.add_argument("--admin", action="append", metavar="NAME", help="a JupyterHub admin (repeatable)")
    setup.add_argument("--python", default="/usr/bin/python3", help="the interpreter of the "
                                                                    "students' environment")
    setup.set_defaults(func=cmd_setup)

    check = actions.add_parser("check", help="list what is wrong with the course server",
                               description="Groups, exchange, MNIST, course folder, both "
                                           "environments (the students' must hold a student "
                                           "build), the proxy and bubblewrap. Exits 1 on any problem.")
    check.add_argument("--settings", help=settings_help)
    check.set_defaults(func=cmd_check)

    add = actions.add_parser("add-user", help="give an account a role (root)",
                             description="Create the Unix account if it is missing (home folder "
                                         "0700) and add it to its role's groups; JupyterHub "
                                         "reads them at the next login.")
    add.add_argument("name", help="the account name")
    add.add_argument("--role", required=True, choices=("students", "graders", "instructors"))
    add.add_argument("--settings", help=settings_help)
    add.set_defaults(func=cmd_add_user)

    move = actions.add_parser("next-lab", help="give students the next lab's build (root)",
                              description="After a deadline: build the student wheel of LAB from "
                                          "the course folder and install it into the students' "
                                          "environment in place of the last lab's.")
    move.add_argument("lab", help="the lab, e.g. dcgan")
    move.add_argument("--settings", help=settings_help)
    move.set_defaults(func=cmd_next_lab)

