"""Frame-level audio features computed in one pass over the song.

The power spectrogram of a 20-minute song would take ~400 MB, so it is computed in blocks of frames
and reduced at once to the small per-frame features every analysis step needs: a log-mel spectrogram
(onsets), chroma (harmony), RMS (loudness) and spectral centroid (brightness).  Frames follow
librosa's centred convention, so frame ``i`` is at ``i * hop / sr`` seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import librosa
import numpy as np

N_FFT = 2048
HOP = 512
N_MELS = 128
LOW_BAND_HZ = 200.0  # kick drum and bass: the band whose onsets mark bar starts
BASS_RANGE_DB = 50.0  # ``onset_bass`` ignores changes further below the low band's loudest level
_BLOCK_FRAMES = 2048


@dataclass
class Features:
    """Per-frame features of one song (shape ``(..., n_frames)``)."""

    sr: int
    hop: int
    n_samples: int
    mel_db: np.ndarray  # (N_MELS, n) log-mel power, dB
    mel_freqs: np.ndarray  # (N_MELS,) band centre frequencies
    chroma: np.ndarray  # (12, n), each frame max-normalised
    rms: np.ndarray  # (n,) linear RMS
    centroid: np.ndarray  # (n,) Hz

    @property
    def duration(self) -> float:
        return self.n_samples / self.sr

    @property
    def n_frames(self) -> int:
        return self.rms.shape[-1]

    def frame_of(self, seconds: np.ndarray | float) -> np.ndarray:
        """Nearest frame index for times in seconds, clipped to the song."""
        frames = np.rint(np.asarray(seconds, dtype=float) * self.sr / self.hop).astype(int)
        return np.clip(frames, 0, self.n_frames - 1)

    def times(self) -> np.ndarray:
        return librosa.frames_to_time(np.arange(self.n_frames), sr=self.sr, hop_length=self.hop)

    @cached_property
    def onset(self) -> np.ndarray:
        """Broadband onset strength (spectral flux of the log-mel spectrogram, median over bands).

        ``center=False``: the spectrogram frames are already centred, so librosa's extra shift by
        ``n_fft / 2`` would delay every onset by ~46 ms (see ``beats.ONSET_LEAD_S`` for what is
        left: the flux leads the attack slightly).
        """
        return librosa.onset.onset_strength(S=self.mel_db, sr=self.sr, hop_length=self.hop,
                                            aggregate=np.median, center=False)

    @cached_property
    def onset_low(self) -> np.ndarray:
        """Onset strength of the low band (below ``LOW_BAND_HZ``): kick drum and bass notes."""
        return self._low_onset(self._low_band())

    @cached_property
    def onset_bass(self) -> np.ndarray:
        """``onset_low`` counting only the low band's top ``BASS_RANGE_DB`` (bar starts).

        Where the low band falls silent between bass notes, the log spectrum turns the faint
        leakage of each chord stab or hi-hat into jumps as large as the bass notes' own, and
        bars are read a beat late.  Of 28 synthesised bands (3/4 and 4/4, 65-170 BPM, bass on
        the one) 26 got their bars right with the floor, 19 without; the annotated items read
        the same either way.
        """
        band = self._low_band()
        return self._low_onset(np.maximum(band, band.max() - BASS_RANGE_DB) if band.size else band)

    def _low_band(self) -> np.ndarray:
        low = self.mel_freqs < LOW_BAND_HZ
        low[:2] = True  # always at least a couple of bands
        return self.mel_db[low]

    def _low_onset(self, band: np.ndarray) -> np.ndarray:
        return librosa.onset.onset_strength(S=band, sr=self.sr, hop_length=self.hop,
                                            aggregate=np.mean, center=False)

    @cached_property
    def mfcc(self) -> np.ndarray:
        """(13, n) MFCCs of the log-mel spectrogram: timbre."""
        return librosa.feature.mfcc(S=self.mel_db, sr=self.sr, n_mfcc=13)


def _centred_span(y: np.ndarray, start: int, stop: int) -> np.ndarray:
    """``y[start:stop]`` with zeros where the span runs past either end (librosa's centring)."""
    if start >= 0 and stop <= len(y):
        return y[start:stop]
    out = np.zeros(stop - start, dtype=y.dtype)
    lo, hi = max(start, 0), min(stop, len(y))
    if hi > lo:
        out[lo - start:hi - start] = y[lo:hi]
    return out


def compute_features(y: np.ndarray, sr: int, hop: int = HOP, n_fft: int = N_FFT) -> Features:
    """All frame features of mono signal ``y`` in one blockwise STFT pass (bounded memory)."""
    y = np.asarray(y, dtype=np.float32)
    n_frames = 1 + len(y) // hop
    mel_basis = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=N_MELS).astype(np.float32)
    chroma_basis = librosa.filters.chroma(sr=sr, n_fft=n_fft).astype(np.float32)
    freqs = librosa.fft_frequencies(sr=sr, n_fft=n_fft).astype(np.float32)
    window = librosa.filters.get_window("hann", n_fft, fftbins=True).astype(np.float32)

    mel = np.empty((N_MELS, n_frames), dtype=np.float32)
    chroma = np.empty((12, n_frames), dtype=np.float32)
    rms = np.empty(n_frames, dtype=np.float32)
    centroid = np.empty(n_frames, dtype=np.float32)
    for f0 in range(0, n_frames, _BLOCK_FRAMES):
        f1 = min(f0 + _BLOCK_FRAMES, n_frames)
        span = _centred_span(y, f0 * hop - n_fft // 2, (f1 - 1) * hop + n_fft // 2)
        frames = librosa.util.frame(span, frame_length=n_fft, hop_length=hop)
        mag = np.abs(np.fft.rfft(frames * window[:, None], axis=0)).astype(np.float32)
        power = mag ** 2
        mel[:, f0:f1] = mel_basis @ power
        raw = chroma_basis @ power
        chroma[:, f0:f1] = raw / np.maximum(raw.max(axis=0, keepdims=True), 1e-10)
        # Parseval on the windowed frame, as librosa.feature.rms(S=...) does
        energy = 2 * power[1:-1].sum(axis=0) + power[0] + power[-1]
        rms[f0:f1] = np.sqrt(energy / (n_fft * np.sum(window ** 2)))
        total = mag.sum(axis=0)
        centroid[f0:f1] = (freqs @ mag) / np.maximum(total, 1e-10)
    mel_db = librosa.power_to_db(mel, ref=1.0, top_db=80.0).astype(np.float32)
    mel_freqs = librosa.mel_frequencies(n_mels=N_MELS + 2, fmax=sr / 2)[1:-1]
    return Features(sr, hop, len(y), mel_db, mel_freqs, chroma, rms, centroid)
