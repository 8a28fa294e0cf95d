"""``gan-lab i18n ...`` and ``gan-lab release``: parsing only; the work is in
``gan_lab.course.i18n``, imported when a command runs."""
from __future__ import annotations

import argparse


def cmd_extract(args: argparse.Namespace) -> int:
    from gan_lab.course.i18n import catalogs
    from gan_lab.course.nbgrader_run import REPO

    for path, template in catalogs.templates().items():
        changed = catalogs.write(path, template)
        print(f"{path.relative_to(REPO)}: {len([m for m in template if m.id])} messages"
              f"{'' if changed else ' (unchanged)'}")
    return 0


def cmd_update(args: argparse.Namespace) -> int:
    from gan_lab.course.i18n import catalogs
    from gan_lab.course.nbgrader_run import REPO

    for lang in args.lang:
        written = catalogs.update(lang)
        print(f"{lang}: " + (", ".join(str(p.relative_to(REPO)) for p in written) if written else "up to date"))
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from gan_lab.course.i18n import catalogs

    langs = args.lang or catalogs.languages()
    total = 0
    for lang in langs:
        found = catalogs.problems(lang)
        for problem in found:
            print(f"{lang} {problem.kind}: {problem.file} {problem.context}: {problem.text}")
        coverage = catalogs.coverage(lang)
        print(f"{lang}: " + ", ".join(f"{name} {done}/{count} ({100 * done / max(count, 1):.0f}%)"
                                       for name, (done, count) in coverage.items()))
        total += len(found)
    print("Every translation is present and current." if not total else f"{total} translation problem(s).")
    return 1 if total else 0


def cmd_release(args: argparse.Namespace) -> int:
    from gan_lab.course.i18n.release import release

    for lab in args.lab:
        release(lab, args.lang, strict=not args.allow_missing)
    return 0


def add_i18n_parsers(commands, parser_class) -> None:
    i18n = commands.add_parser("i18n", help="the course's translations (gettext catalogs)",
                               description="Keep the translations of the labs and of gan_lab's "
                                           "messages in step with the English source.")
    actions = i18n.add_subparsers(dest="i18n_command", metavar="ACTION", parser_class=parser_class)
    actions.required = True
    extract = actions.add_parser("extract", help="write the English templates (.pot) from the sources")
    extract.set_defaults(func=cmd_extract)
    update = actions.add_parser("update", help="merge the templates into a language's catalogs (.po, .mo)",
                                description="New English gets an empty entry; changed English keeps "
                                            "its old translation marked fuzzy (stale) for a translator.")
    update.add_argument("lang", nargs="+", help="a language, e.g. zh_CN")
    update.set_defaults(func=cmd_update)
    check = actions.add_parser("check", help="list missing and stale translations; exit 1 on any",
                               description="Every missing or stale translation by catalog and "
                                           "cell, templates out of date, and the coverage per lab.")
    check.add_argument("lang", nargs="*", help="languages (default: every one in translations/)")
    check.set_defaults(func=cmd_check)

    release = commands.add_parser("release", help="a lab's source and release in another language",
                                  description="Write solutions-LANG/LAB (the source with its markdown "
                                              "and comments translated) and notebooks-LANG/LAB, "
                                              "generated from it by nbgrader.")
    release.add_argument("lab", nargs="+", help="the labs, e.g. mlp_gan toy_1d")
    release.add_argument("--lang", required=True, help="the language, e.g. zh_CN")
    release.add_argument("--allow-missing", action="store_true",
                         help="leave untranslated cells in English instead of stopping")
    release.set_defaults(func=cmd_release)
