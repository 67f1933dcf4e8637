"""Probing, transcoding and posters with real PyAV on tiny generated videos."""

import io

import av
import pytest

from classvault.recordings import media
from support.media import make_video


def test_probe_reads_a_video():
    info = media.probe(io.BytesIO(make_video(seconds=1)))
    assert (info.width, info.height) == (160, 120)
    assert info.has_audio
    assert 0.8 <= info.duration_seconds <= 1.2


@pytest.mark.parametrize("data", [b"", b"not a video at all" * 100, b"\x00" * 4096])
def test_probe_refuses_what_is_not_a_video(data):
    with pytest.raises(media.MediaError):
        media.probe(io.BytesIO(data))


def test_probe_refuses_audio_only():
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as out:
        stream = out.add_stream("aac", rate=16000)
        stream.layout = "mono"
        out.mux(stream.encode(None))
    with pytest.raises(media.MediaError):
        media.probe(io.BytesIO(buffer.getvalue()))


def test_transcode_makes_fragmented_h264_aac_mp4():
    out = io.BytesIO()
    source = make_video(seconds=2, container="matroska", codec="libx264")
    info = media.transcode(io.BytesIO(source), out)
    assert info.has_audio
    data = out.getvalue()
    assert b"moof" in data[:4096] or b"moof" in data  # fragmented
    with av.open(io.BytesIO(data)) as container:
        assert container.streams.video[0].codec_context.name == "h264"
        assert container.streams.audio[0].codec_context.name == "aac"
        frames = sum(1 for _ in container.decode(video=0))
    assert 45 <= frames <= 55


def test_transcode_scales_down_to_720p_even_sizes():
    out = io.BytesIO()
    media.transcode(io.BytesIO(make_video(seconds=0.2, width=1282, height=962, audio=False)), out)
    with av.open(io.BytesIO(out.getvalue())) as container:
        ctx = container.streams.video[0].codec_context
        assert ctx.height == 720 and ctx.width % 2 == 0


def test_transcode_reports_progress():
    seen = []
    media.transcode(io.BytesIO(make_video(seconds=2)), io.BytesIO(), progress=seen.append)
    assert seen[-1] == 1.0
    assert seen == sorted(seen)


def test_transcode_to_a_non_seekable_sink():
    class Sink(io.RawIOBase):
        def __init__(self):
            self.parts = []

        def writable(self):
            return True

        def seekable(self):
            return False

        def write(self, b):
            self.parts.append(bytes(b))
            return len(b)

    sink = Sink()
    media.transcode(io.BytesIO(make_video(seconds=1)), sink)
    assert sum(len(p) for p in sink.parts) > 1000


def test_poster_is_a_jpeg():
    jpeg = media.poster(io.BytesIO(make_video(seconds=2)))
    assert jpeg[:2] == b"\xff\xd8" and jpeg[-2:] == b"\xff\xd9"
