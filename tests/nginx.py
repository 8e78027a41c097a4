"""Debian's nginx on 127.0.0.1 with the server block README.md documents (deploy/nginx-site.conf),
serving a built site as a real host does: for the header tests and the browser tests alike."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVER_BLOCK = ROOT / "deploy" / "nginx-site.conf"
NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).is_file()), None)
MIME_TYPES = Path("/etc/nginx/mime.types")
AVAILABLE = NGINX is not None and MIME_TYPES.is_file()
MISSING = "Debian's nginx is not installed (apt-get install nginx; CI installs it)"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def served_folder(prefix: str) -> Path:
    """A new folder nginx's workers can read: nginx started by root serves as 'nobody', who cannot
    enter pytest's private tmp_path. The caller removes it."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    folder.chmod(0o755)
    return folder


def server_block(root: Path, port: int, base_path: str = "/") -> str:
    """The documented block with its own lines for this server: ``listen``, ``root``, and under a
    sub-path the 404 page's address (README: root is the folder above the sub-path)."""
    text = SERVER_BLOCK.read_text("utf-8")
    lines = {"listen 80;": f"listen 127.0.0.1:{port};", "root /srv/catalog/public;": f"root {root};"}
    if base_path != "/":
        lines["error_page 404 /404.html;"] = f"error_page 404 {base_path}404.html;"
    for documented, line in lines.items():
        assert documented in text, f"{SERVER_BLOCK} no longer has the line {documented!r}"
        text = text.replace(documented, line)
    return text


@contextlib.contextmanager
def nginx(root: Path, workdir: Path, base_path: str = "/"):
    """nginx serving ``root`` on a free port of 127.0.0.1; yields its origin (http://127.0.0.1:PORT).
    Its logs are in ``workdir/logs``."""
    port = free_port()
    (workdir / "logs").mkdir(parents=True, exist_ok=True)
    (workdir / "site.conf").write_text(server_block(root, port, base_path), "utf-8")
    temp = " ".join(f"{name}_temp_path {workdir / name};" for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (workdir / "nginx.conf").write_text(
        f"worker_processes 1;\npid {workdir / 'nginx.pid'};\nerror_log {workdir / 'logs/error.log'};\n"
        f"events {{ worker_connections 256; }}\nhttp {{ access_log off; {temp} include {workdir / 'site.conf'}; }}\n", "utf-8")
    process = subprocess.Popen([NGINX, "-p", str(workdir), "-c", str(workdir / "nginx.conf"), "-g", "daemon off;"],
                               stderr=subprocess.PIPE)
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                if process.poll() is not None:
                    raise RuntimeError(f"nginx did not start: {process.stderr.read().decode()}") from None
                time.sleep(0.05)
        else:
            raise RuntimeError(f"nginx did not listen on 127.0.0.1:{port} within 10 s")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def warnings_logged(workdir: Path) -> list[str]:
    log = workdir / "logs" / "error.log"
    return [line for line in log.read_text("utf-8", "replace").splitlines() if "[warn]" in line] if log.is_file() else []
