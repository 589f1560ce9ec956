"""The clinician's workspace in the browser: `dynamics serve FOLDER`.

A small Starlette application over a folder of case files, with the case files staying the one
record: pages read them through the same loader and engine as the command line, and every form
writes through the same atomic, locked, comment-keeping writer (`dynamics.record`). Nothing leaves
the machine: the server binds to 127.0.0.1, every request needs the access token, and every asset is
shipped in the package. Starlette, uvicorn and python-multipart are the optional extra `serve`.
"""
