"""A fake camera for Chromium (``--use-file-for-fake-video-capture``): a Y4M video whose frames
show one QR code, drawn from the code's segno matrix."""

from __future__ import annotations

from pathlib import Path

import segno

DARK, LIGHT, CHROMA_NEUTRAL = 16, 235, 128


def qr_video(text: str, path: Path, width: int = 640, height: int = 480, frames: int = 2) -> Path:
    """Writes a 4:2:0 Y4M video of ``text`` as a QR code (centred, 4-module quiet zone)."""
    rows = [list(row) for row in segno.make(text, error="m").matrix_iter(scale=1, border=4)]
    scale = min(width, height) * 4 // 5 // len(rows)
    size = len(rows) * scale
    left, top = (width - size) // 2, (height - size) // 2
    luma = bytearray([LIGHT]) * (width * height)
    for row_index, row in enumerate(rows):
        for column_index, dark in enumerate(row):
            if not dark:
                continue
            for y in range(top + row_index * scale, top + (row_index + 1) * scale):
                start = y * width + left + column_index * scale
                luma[start : start + scale] = bytes([DARK]) * scale
    chroma = bytes([CHROMA_NEUTRAL]) * ((width // 2) * (height // 2))
    with path.open("wb") as video:
        video.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            video.write(b"FRAME\n" + bytes(luma) + chroma + chroma)
    return path
