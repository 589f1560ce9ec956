"""The `serve` command: the clinician's workspace in the browser, over a folder of case files."""

from __future__ import annotations

from pathlib import Path

import click

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


@click.command()
@click.argument("folder", required=False, default=".", type=click.Path(path_type=Path))
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="The port to listen on (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="The address to listen on. Anything but this computer's own address opens the "
                   "case files to the network (the token still applies); you are warned.")
@click.option("--token", metavar="TOKEN", help="The access token every request must carry (default: a new "
                                               "random one each start).")
@click.option("--by", metavar="NAME", help="Who writes through the forms (default: $DYNAMICS_CLINICIAN, else "
                                           "your login name).")
@click.option("--no-browser", is_flag=True, help="Do not open a browser; just print the address.")
def serve(folder: Path, port: int, host: str, token: str | None, by: str | None, no_browser: bool) -> None:
    """Open a workspace in the browser over the case files in FOLDER (default: this folder).

    Prints the address to open, with its access token, as one line. The caseload lists every case
    with its reading; a case page shows the conclusions and how each was reached, the diagrams, the
    sessions and annotations, and has forms that add to the record through the same writer as
    'dynamics annotate'. Nothing is sent anywhere: the server listens on this computer only
    (127.0.0.1) unless --host says otherwise. Stop it with Ctrl-C.
    """
    from ..errors import InputError
    from ..record.transaction import author
    try:
        import starlette  # noqa: F401
        import uvicorn
    except ImportError:
        raise InputError("the workspace needs the optional 'serve' extra", file="dynamics serve",
                         hint="install it with: pip install 'dynamics[serve]'") from None
    if not folder.is_dir():
        raise InputError("is not a folder", file=str(folder), hint="name the folder that holds your case files")
    if token is not None and len(token) < 8:
        raise InputError("the token is too short to protect case files", file="--token",
                         hint="use at least 8 characters, or leave --token out for a random one")
    from ..serve.app import create_app
    from ..serve.security import Guard, new_token
    import socket
    if host not in LOCAL_HOSTS:
        click.echo(f"dynamics serve: warning: listening on {host} makes the case files reachable from other "
                   "computers on that network; anyone there with the address and token can read and write them",
                   err=True)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise InputError(f"cannot listen on {host}:{port} ({exc.strerror or exc})", file="--port",
                         hint="choose another --port, or 0 for any free one") from None
    guard = Guard(token or new_token(), host, sock.getsockname()[1])
    app = create_app(folder.resolve(), guard, author(by))
    address = guard.address()
    click.echo(address)
    if not no_browser:
        import webbrowser
        webbrowser.open(address)
    config = uvicorn.Config(app, log_level="warning", access_log=False, server_header=False,
                            date_header=False, lifespan="off", timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    try:
        server.run(sockets=[sock])
    finally:
        app.state.workspace.caseload.close()
        sock.close()
