"""`coopcrm run`: Flask's development server (what `coopcrm dev` starts), saying no version.

Werkzeug's server sends `Server: Werkzeug/3.x Python/3.x` on every answer, before the
app sees it: it would tell anyone which versions, and so which known flaws, to try.
The mail catcher's web mailbox uses the same request handler.
"""

from __future__ import annotations

import click
from flask.cli import ScriptInfo, pass_script_info, show_server_banner
from flask.cli import run_command as flask_run
from flask.helpers import get_debug_flag
from werkzeug.serving import WSGIRequestHandler, run_simple

SERVER = "CoopCRM"


class RequestHandler(WSGIRequestHandler):
    """Werkzeug's request handler, whose `Server:` header names no version."""

    def version_string(self) -> str:
        return SERVER


@pass_script_info
def _run(info: ScriptInfo, host, port, reload, debugger, with_threads, cert, extra_files,
         exclude_patterns) -> None:
    """Flask's `run`, with our request handler (its options, same defaults)."""
    debug = get_debug_flag()
    show_server_banner(debug, info.app_import_path)
    run_simple(host, port, info.load_app(),
               use_reloader=debug if reload is None else reload,
               use_debugger=debug if debugger is None else debugger,
               threaded=with_threads, ssl_context=cert, extra_files=extra_files,
               exclude_patterns=exclude_patterns, request_handler=RequestHandler)


run = click.Command("run", callback=_run, params=flask_run.params,
                    help="Lancer le serveur de développement (pas pour la production : "
                         "coopcrm serve).")
