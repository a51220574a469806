"""The digits protocols: the judges' accuracy, argument checks."""
import numpy as np
import pytest

from ibtf.data import digits_pairs
from ibtf.data.multimodal import MultimodalData
from ibtf.models.multimodal import protocol


def test_multivae_judges_reach_099_on_held_out_digits():
    train, test = digits_pairs(seed=0)
    judges = protocol.make_classifiers(train, "multivae")
    for key in ("a", "b"):
        assert np.mean(judges[key](test.inputs[key]) == test.labels) >= 0.99, key


def test_unknown_names_are_rejected():
    with pytest.raises(ValueError, match="protocol"):
        protocol.build("MVAE", "fast")
    with pytest.raises(ValueError, match="choose from"):
        protocol.build("VAE", "short")
    assert {"MVAE", "MMVAE", "MoPoE", "MEME", "Wyner", "MMALI"} <= set(protocol.MODELS)


def test_multivae_protocol_warms_up_mvae_only():
    # MultiVae 1.0.3's MVAEConfig anneals the KL weight 0 -> 1 over its first 10 epochs
    # (warmup=10); its MoPoE config has no warm-up. One epoch of 2 steps: MVAE's beta at the
    # last step (t = 1) is 1 / (10 * 2), MoPoE's stays 1.
    train, _ = digits_pairs(seed=0)
    small = MultimodalData({k: v[:128] for k, v in train.inputs.items()}, train.mask[:128],
                           train.labels[:128], train.names)
    assert protocol.PROTOCOLS["multivae"]["warmup_epochs"] == {"MVAE": 10}
    model, info = protocol.train("MVAE", small, "multivae", epochs=1)
    assert info["steps"] == 2
    assert model.beta == pytest.approx(1 / 20, abs=1e-6)
    model, _ = protocol.train("MoPoE", small, "multivae", epochs=1)
    assert model.beta == 1.0


def test_multivae_protocol_uses_the_released_meme_supervision_weight():
    # MEME's released code (thwjoy/meme, MEME_IMAGE_IMAGE.classifier_scale_sup) weighs
    # ln q(t|s) by 10; the paper's bound (and the short protocol) by 1; "MEME-g1" keeps 1.
    assert protocol.build("MEME", "multivae").supervision_weight == 10.0
    assert protocol.build("MEME-g1", "multivae").supervision_weight == 1.0
    assert protocol.build("MEME", "short").supervision_weight == 1.0


def test_multivae_protocol_gives_mvae_log_variance_experts():
    # MultiVae's encoders output ln sigma^2; the protocol's MVAE reads its experts so.
    model = protocol.build("MVAE", "multivae")
    assert {m.expert.scale_param for m in model.modality_layers} == {"log_variance"}
    for name, scale in (("MMVAE-normal", "log_variance"), ("MoPoE-multivae", "log_variance"),
                        ("MMVAE", "softmax")):
        model = protocol.build(name, "multivae")
        assert {m.expert.scale_param for m in model.modality_layers} == {scale}
        assert {m.init for m in model.modality_layers} == {"fan_in_uniform"}
    # MultiVae's default MMVAE: Laplace experts and prior, the prior's scale learned
    model = protocol.build("MMVAE", "multivae")
    assert (model.family, model.learn_prior, model.num_samples) == ("laplace", True, 10)
    assert protocol.build("MMVAE-normal", "multivae").family == "normal"
    for name in ("MEME", "MoPoE"):
        model = protocol.build(name, "multivae")
        assert {m.expert.scale_param for m in model.modality_layers} == {"softplus"}
        assert {m.init for m in model.modality_layers} == {"glorot"}
    assert protocol.build("MVAE", "short").modality_layers[0].expert.scale_param == "softplus"


def test_multivae_protocol_mmvae_expert_scales_are_multivae_laplace_with_softmax():
    # MultiVae 1.0.3's MMVAE (log_var_to_std with laplace_with_softmax, as Shi et al.'s code):
    # scale = d softmax(raw) + 1e-6. A raw scale of -100 puts its coordinate at the floor,
    # which must be MultiVae's 1e-6 (the bottleneck's default floor is 1e-4).
    model = protocol.build("MMVAE", "multivae")
    model._ensure_built()
    mod = model.modality_layers[0]
    head = mod.expert.params
    raw = np.zeros(16, np.float32)
    raw[0], raw[1] = -100.0, 2.0
    head.kernel.assign(np.zeros(head.kernel.shape, np.float32))
    head.bias.assign(np.concatenate([np.zeros(16, np.float32), raw]))
    _, scale = mod.expert_params(np.zeros((1, 64), np.float32))
    soft = np.exp(raw.astype(np.float64) - raw.max())
    np.testing.assert_allclose(scale.numpy()[0], 16 * soft / soft.sum() + 1e-6, rtol=1e-4)
    assert type(mod).from_config(mod.get_config()).expert_min_scale == 1e-6
    # and its step is MultiVae's MMVAE's: the gradient of the batch sum (over 64)
    assert model.batch_sum == 64 and protocol.build("MMVAE-mean", "multivae").batch_sum is None
    # the other models keep the bottleneck's floor
    assert protocol.build("MMVAE-normal", "multivae").modality_layers[0].expert.min_scale == 1e-4


def test_multivae_protocol_mopoe_puts_the_prior_expert_in_the_full_product_only():
    # Sutter et al.'s released MoPoE and MultiVae's: the N(0, I) expert joins only the product
    # over all modalities ("MoPoE-multivae"); this package's default puts it in every one.
    assert protocol.build("MoPoE-multivae", "multivae").fusion.prior_expert == "full"
    assert protocol.build("MoPoE-multivae-allprior", "multivae").fusion.prior_expert is True
    assert protocol.build("MoPoE", "multivae").fusion.prior_expert is True
    # MultiVae's one-subset-per-example estimator, opt-in
    assert protocol.build("MoPoE", "multivae").subset_sampling == "all"
    assert protocol.build("MoPoE-one", "multivae").subset_sampling == "one"
    full = protocol.build("MoPoE-multivae-one", "multivae")
    assert (full.subset_sampling, full.fusion.prior_expert) == ("one", "full")
    assert {m.init for m in full.modality_layers} == {"fan_in_uniform"}


def test_fan_in_uniform_init_is_pytorchs_linear_default():
    # PyTorch's nn.Linear (MultiVae's networks): kernel and bias ~ U(-1/sqrt(n_in), 1/sqrt(n_in)),
    # so each has standard deviation 1/sqrt(3 n_in); Keras's default: Glorot kernel, zero bias.
    from ibtf._keras import keras
    from ibtf.models.multimodal.modality import Modality

    def dense(init, seed=0):
        m = Modality((64,), likelihood="bernoulli", hidden_units=(512, 512), name="a",
                     latent_dim=16, seed=seed, init=init)
        m.build(None)
        layers = [m.expert.params] + [layer for net in (m.encoder, m.decoder)
                                      for layer in net.layers
                                      if isinstance(layer, keras.layers.Dense)]
        return [(layer.kernel.numpy(), layer.bias.numpy()) for layer in layers]

    torch_like = dense("fan_in_uniform")
    assert len(torch_like) == 6
    for kernel, bias in torch_like:
        bound = 1.0 / np.sqrt(kernel.shape[0])
        assert np.abs(kernel).max() <= bound and np.abs(bias).max() <= bound
        assert kernel.std() == pytest.approx(bound / np.sqrt(3), rel=0.1)
        assert np.abs(bias).max() > bound / 2
    again = dense("fan_in_uniform")
    for (k1, b1), (k2, b2) in zip(torch_like, again):
        np.testing.assert_array_equal(k1, k2)
        np.testing.assert_array_equal(b1, b2)
    assert all(not b.any() for _, b in dense("glorot"))
    with pytest.raises(ValueError, match="init="):
        Modality((64,), name="a", init="he")
