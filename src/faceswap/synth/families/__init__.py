"""Training-free manipulation families with frame-space ground-truth masks: a graphics face swap
(`mesh_swap`, FF++ FaceSwap), expression reenactment (`reenact`, Face2Face) and mouth-only replacement
(`mouth`, NeuralTextures / lip-sync). Each returns a `faceswap.synth.fakes.FakeFrame`."""
