"""Published fakes carry the target video's soundtrack, as a swap tool publishes them."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from faceswap.media.audio import has_audio
from faceswap.media.video import probe, read_video
from faceswap.synth.publish import Publisher
from faceswap.synth.targets import TargetFrame
from tests.test_audio_mux import make_clip


def test_published_fake_keeps_the_source_audio(tmp_path: Path) -> None:
    clips = {
        name: make_clip(tmp_path / f"{name}.mp4", audio_codec=codec)
        for name, codec in (("talk", "aac"), ("mute", None))
    }
    pub = Publisher(tmp_path / "out")
    for name, clip in clips.items():
        for vf in read_video(clip):
            tf = TargetFrame(
                "a", name, str(clip), vf.index, vf.time, vf.image, np.zeros((68, 2), np.float32), name == "talk"
            )
            pub.write("swap", tf, vf.image)
    files = pub.close()
    assert len(files) == 2 and all(probe(f).frames == 20 for f in files)
    assert {f.stem: has_audio(f) for f in files} == {"talk": True, "mute": False}
