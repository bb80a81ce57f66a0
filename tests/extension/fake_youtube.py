"""A local HTTPS server that looks like YouTube's watch pages to the extension: `/watch?v=<id>` with the
player's `<video>` inside `#movie_player`, the title in `h1`, a search box, and in-page navigation to another
video (history.pushState, then the `yt-navigate-finish` event YouTube fires). Chromium reaches it as
www.youtube.com through `--host-resolver-rules`, trusting its self-signed certificate by its public
key's hash (`--ignore-certificate-errors-spki-list`).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import html
import json
import ssl
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

# What a watch page's script does when a link to another video is clicked: YouTube swaps the
# player's source and the title without a load, then fires `yt-navigate-finish` on the document.
_NAVIGATION_SCRIPT = """
const titles = JSON.parse(document.getElementById("titles").textContent);
function show(id) {
  const video = document.querySelector("#movie_player video");
  video.src = `/media/${id}.mp4`;
  document.querySelector("h1").textContent = titles[id];
  document.title = `${titles[id]} - YouTube`;
  document.dispatchEvent(new CustomEvent("yt-navigate-finish"));
}
document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-video]");
  if (!link) return;
  event.preventDefault();
  history.pushState({}, "", `/watch?v=${link.dataset.video}`);
  show(link.dataset.video);
});
window.addEventListener("popstate", () => show(new URLSearchParams(location.search).get("v")));
"""


@dataclass
class FakeYouTube:
    port: int
    spki_sha256: str  # base64 of the SHA-256 of the certificate's public key, as Chromium's flag wants

    def watch_url(self, video_id: str) -> str:
        return f"https://www.youtube.com/watch?v={video_id}"


def _certificate() -> tuple[bytes, bytes, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "www.youtube.com")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("www.youtube.com")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    spki = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return (
        certificate.public_bytes(serialization.Encoding.PEM),
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
        base64.b64encode(hashlib.sha256(spki).digest()).decode(),
    )


def _watch_page(video_id: str, titles: Mapping[str, str]) -> bytes:
    others = "".join(
        f'<li><a href="/watch?v={other}" data-video="{other}">{html.escape(title)}</a></li>'
        for other, title in titles.items()
        if other != video_id
    )
    title = html.escape(titles[video_id])
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>{title} - YouTube</title></head>
<body>
<input id="search" aria-label="Search" placeholder="Search">
<div id="movie_player"><video src="/media/{video_id}.mp4" muted playsinline controls width="320"></video></div>
<h1>{title}</h1>
<ul id="related">{others}</ul>
<script type="application/json" id="titles">{json.dumps(dict(titles))}</script>
<script>{_NAVIGATION_SCRIPT}</script>
</body></html>""".encode()


@contextmanager
def fake_youtube(videos: Mapping[str, tuple[str, Path]], directory: Path) -> Iterator[FakeYouTube]:
    """Serves `videos` ({youtube id: (title, mp4 file)}) over HTTPS on 127.0.0.1."""
    certificate, key, spki = _certificate()
    (directory / "cert.pem").write_bytes(certificate)
    (directory / "key.pem").write_bytes(key)
    titles = {video_id: title for video_id, (title, _path) in videos.items()}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path == "/watch":
                video_id = parse_qs(url.query).get("v", [""])[0]
                if video_id in titles:
                    self._send(200, "text/html; charset=utf-8", _watch_page(video_id, titles))
                    return
            if url.path.startswith("/media/") and url.path.endswith(".mp4"):
                video_id = url.path.removeprefix("/media/").removesuffix(".mp4")
                if video_id in videos:
                    self._send_media(videos[video_id][1].read_bytes())
                    return
            self._send(404, "text/plain", b"not found")

        def _send_media(self, body: bytes) -> None:
            # Byte ranges, as a media server answers them: the player seeks with them.
            wanted = self.headers.get("Range", "")
            if wanted.startswith("bytes="):
                first_text, _, last_text = wanted.removeprefix("bytes=").partition("-")
                first = int(first_text or 0)
                last = min(int(last_text) if last_text else len(body) - 1, len(body) - 1)
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {first}-{last}/{len(body)}")
                self._finish("video/mp4", body[first : last + 1])
                return
            self.send_response(200)
            self._finish("video/mp4", body)

        def _send(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self._finish(content_type, body)

        def _finish(self, content_type: str, body: bytes) -> None:
            self.send_header("Content-Type", content_type)
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(directory / "cert.pem", directory / "key.pem")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield FakeYouTube(port=server.server_address[1], spki_sha256=spki)
    finally:
        server.shutdown()
        server.server_close()
