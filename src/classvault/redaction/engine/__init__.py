"""The redaction engine: face detection, tracking, blurring and muting of plain video.

Pure media code with no Django in it, so the command line (``classvault redact``), the vault
job and the benchmark share it. Input and output are binary file objects (a file, or in the
vault a decrypting reader and an encrypting writer): nothing here writes plaintext to disk.
"""

from .detector import CenterFaceDetector, FaceDetector
from .pipeline import Analysis, Mark, Progress, RedactionError, analyse, probe, redact, render

__all__ = [
    "Analysis",
    "CenterFaceDetector",
    "FaceDetector",
    "Mark",
    "Progress",
    "RedactionError",
    "analyse",
    "probe",
    "redact",
    "render",
]
