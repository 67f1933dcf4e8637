"""Probing and transcoding video with PyAV, from and to file-like objects.

Nothing here touches the disk: the input is any seekable binary file object (in ClassVault a
decrypting view of a vault object) and the output any writable one (an encrypting writer).
The rendition is fragmented MP4 (H.264 + AAC), which can be written to a non-seekable sink
and which every current browser plays and seeks.
"""

import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import av
import av.error
from django.utils.translation import gettext_lazy as _

log = logging.getLogger(__name__)

MAX_HEIGHT = 720
VIDEO_PRESET = "veryfast"
VIDEO_CRF = "23"
AUDIO_RATE = 48000
AUDIO_BITRATE = 128_000
POSTER_WIDTH = 640


class MediaError(Exception):
    """The input is not a video we can decode (the message is safe to show, and translated
    lazily: it is read in the language of whoever reads it)."""


@dataclass(frozen=True)
class MediaInfo:
    duration_seconds: float
    width: int
    height: int
    has_audio: bool


def probe(src: io.RawIOBase | io.BufferedIOBase) -> MediaInfo:
    """Open the input and decode one video frame; raise MediaError if that is impossible."""
    try:
        with av.open(src, mode="r") as container:
            if not container.streams.video:
                raise MediaError(_("The file has no video track."))
            stream = container.streams.video[0]
            frame = next(container.decode(stream), None)
            if frame is None:
                raise MediaError(_("The video track holds no frames."))
            duration = _duration(container, stream)
            return MediaInfo(duration, frame.width, frame.height, bool(container.streams.audio))
    except MediaError:
        raise
    except (av.error.FFmpegError, StopIteration, ValueError, OSError) as exc:
        raise MediaError(_("The file is not a video that can be played.")) from exc


def _duration(container, stream) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return 0.0


def _frame_rate(stream) -> Fraction:
    """The rate the rendition's frames are numbered at. A browser's MediaRecorder writes WebM
    with variable frame timing and often no usable average (none, or the 1 kHz time base):
    then 30 frames a second, what cameras give."""
    for rate in (stream.average_rate, stream.guessed_rate):
        if rate and 1 <= rate <= 120:
            return Fraction(rate)
    return Fraction(30, 1)


def _target_size(width: int, height: int) -> tuple[int, int]:
    if height > MAX_HEIGHT:
        width = round(width * MAX_HEIGHT / height)
        height = MAX_HEIGHT
    # H.264 with yuv420p needs even dimensions.
    return max(2, width - width % 2), max(2, height - height % 2)


def transcode(
    src: io.RawIOBase | io.BufferedIOBase,
    dst: io.RawIOBase | io.BufferedIOBase,
    *,
    progress: Callable[[float], None] | None = None,
) -> MediaInfo:
    """Re-encode to fragmented MP4 with H.264 video (≤ 720p) and AAC audio."""
    try:
        return _transcode(src, dst, progress)
    except MediaError:
        raise
    except (av.error.FFmpegError, ValueError, OSError) as exc:
        raise MediaError(_("The video could not be converted.")) from exc


def _transcode(src, dst, progress) -> MediaInfo:
    with av.open(src, mode="r") as inp:
        if not inp.streams.video:
            raise MediaError(_("The file has no video track."))
        v_in = inp.streams.video[0]
        a_in = inp.streams.audio[0] if inp.streams.audio else None
        total = _duration(inp, v_in)
        width, height = _target_size(v_in.codec_context.width, v_in.codec_context.height)
        rate = _frame_rate(v_in)
        with av.open(
            dst,
            mode="w",
            format="mp4",
            options={
                "movflags": "frag_keyframe+empty_moov+default_base_moof",
            },
        ) as out:
            v_out = out.add_stream("libx264", rate=rate)
            v_out.width, v_out.height, v_out.pix_fmt = width, height, "yuv420p"
            v_out.options = {"preset": VIDEO_PRESET, "crf": VIDEO_CRF}
            # A keyframe every two seconds keeps fragments small, so seeking is quick.
            v_out.codec_context.gop_size = max(1, round(float(rate) * 2))
            a_out = None
            resampler = None
            if a_in is not None:
                a_out = out.add_stream("aac", rate=AUDIO_RATE)
                a_out.layout = "stereo"
                a_out.bit_rate = AUDIO_BITRATE
                resampler = av.AudioResampler(format="fltp", layout="stereo", rate=AUDIO_RATE)
            streams = [v_in] + ([a_in] if a_in is not None else [])
            frames = samples = 0
            for packet in inp.demux(*streams):
                for frame in packet.decode():
                    if packet.stream is v_in:
                        frame = frame.reformat(width=width, height=height, format="yuv420p")
                        # Renumber frames: sources with odd or missing timestamps still
                        # give a rendition that plays at an even pace.
                        frame.pts = frames
                        frame.time_base = 1 / rate
                        out.mux(v_out.encode(frame))
                        frames += 1
                        # Also without a known duration: the job renews its lease from here.
                        if progress and frames % 25 == 0:
                            done = float(frames / float(rate)) / total if total else 0.0
                            progress(min(1.0, done))
                    elif a_out is not None:
                        frame.pts = None
                        samples = _encode_audio(out, a_out, resampler, frame, samples)
            out.mux(v_out.encode(None))
            if a_out is not None:
                _encode_audio(out, a_out, resampler, None, samples)  # flush the resampler
                out.mux(a_out.encode(None))
            if frames == 0:
                raise MediaError(_("The video track holds no frames."))
    if progress:
        progress(1.0)
    return MediaInfo(total, width, height, a_in is not None)


def _encode_audio(out, stream, resampler, frame, samples: int) -> int:
    """Resample one frame (None flushes), number the samples evenly, mux; the new count."""
    for resampled in resampler.resample(frame):
        resampled.pts = samples
        resampled.time_base = Fraction(1, AUDIO_RATE)
        samples += resampled.samples
        out.mux(stream.encode(resampled))
    return samples


def poster(src: io.RawIOBase | io.BufferedIOBase, *, at_seconds: float = 1.0) -> bytes:
    """A JPEG still from about ``at_seconds`` into the video, at most 640 px wide."""
    try:
        with av.open(src, mode="r") as container:
            stream = container.streams.video[0]
            chosen = None
            for frame in container.decode(stream):
                chosen = frame
                if frame.time is not None and frame.time >= at_seconds:
                    break
            if chosen is None:
                raise MediaError(_("The video track holds no frames."))
            width = min(POSTER_WIDTH, chosen.width)
            height = max(2, round(chosen.height * width / chosen.width))
            # PyAV's own MJPEG encoder makes the JPEG: no imaging library needed.
            encoder = av.CodecContext.create("mjpeg", "w")
            encoder.width, encoder.height, encoder.pix_fmt = width, height, "yuvj420p"
            encoder.time_base = Fraction(1, 25)
            still = chosen.reformat(width=width, height=height, format="yuvj420p")
            still.pts = 0
            packets = list(encoder.encode(still)) + list(encoder.encode(None))
    except MediaError:
        raise
    except (av.error.FFmpegError, ValueError, OSError, IndexError) as exc:
        raise MediaError(_("No still could be taken from the video.")) from exc
    return b"".join(bytes(p) for p in packets)
