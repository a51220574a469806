"""Multimodal data sets with masks, and bimodal linear-Gaussian data with exact answers.

A set is a ``MultimodalData``: ``inputs`` {modality name: [N, ...] float32}, ``mask`` [N, M]
(1 = observed) in ``names`` order, and ``labels`` [N] (the shared class, for coherence).
``with_paired_fraction`` turns a fully paired set into the partially observed one of the
MEME experiments: a fraction f of examples keeps its pair; every other example enters twice,
once per modality, unpaired.
"""
import dataclasses

import numpy as np

__all__ = ["MultimodalData", "with_paired_fraction", "digits_pairs", "digits_with_labels",
           "shared_private_synthetic", "LinearGaussianBimodal", "linear_gaussian_bimodal"]


@dataclasses.dataclass
class MultimodalData:
    """inputs {name: [N, ...] float32}, mask [N, M] float32 (columns = ``names``), labels [N]."""

    inputs: dict
    mask: np.ndarray
    labels: np.ndarray
    names: tuple

    def __len__(self):
        return len(self.labels)

    def as_dict(self):
        """The dict ``model.fit`` takes: the arrays plus "mask"."""
        return {**self.inputs, "mask": self.mask}

    def take(self, index):
        index = np.asarray(index)
        return MultimodalData({k: v[index] for k, v in self.inputs.items()}, self.mask[index],
                              self.labels[index], self.names)


def _check_fraction(paired_fraction):
    if isinstance(paired_fraction, bool) or not isinstance(paired_fraction, (int, float)) or \
            not 0.0 <= paired_fraction <= 1.0:
        raise ValueError(f"paired_fraction={paired_fraction!r} must be a number in [0, 1] (the "
                         "fraction of examples that keep both modalities)")
    return float(paired_fraction)


def with_paired_fraction(data, paired_fraction, seed=0):
    """Keeps a fraction f of ``data``'s pairs; the rest enter unpaired, once per modality.

    A random round(f N) examples stay paired (mask all ones). Each other example becomes M
    rows, row m holding only modality m (the others zeroed, mask one-hot), so every
    modality's data is still used but the pairing is lost (MEME, Joy et al. 2022, Sec. 5).
    """
    f = _check_fraction(paired_fraction)
    rng = np.random.default_rng(seed)
    n = len(data)
    order = rng.permutation(n)
    paired, unpaired = order[:int(round(f * n))], order[int(round(f * n)):]
    parts_inputs = {k: [v[paired]] for k, v in data.inputs.items()}
    masks, labels = [np.ones((len(paired), len(data.names)), np.float32)], [data.labels[paired]]
    for m, name in enumerate(data.names):
        for k, v in data.inputs.items():
            parts_inputs[k].append(v[unpaired] if k == name else np.zeros_like(v[unpaired]))
        one = np.zeros((len(unpaired), len(data.names)), np.float32)
        one[:, m] = 1.0
        masks.append(one)
        labels.append(data.labels[unpaired])
    shuffle = rng.permutation(sum(len(x) for x in labels))
    return MultimodalData({k: np.concatenate(v)[shuffle] for k, v in parts_inputs.items()},
                          np.concatenate(masks)[shuffle], np.concatenate(labels)[shuffle],
                          data.names)


def _digits(test_fraction, seed):
    from sklearn.datasets import load_digits
    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(x))
    cut = int(round(len(x) * (1 - test_fraction)))
    return (x[order[:cut]], y[order[:cut]]), (x[order[cut:]], y[order[cut:]])


def digits_pairs(test_fraction=0.25, seed=0):
    """scikit-learn digits (8x8, in [0, 1], flattened to 64) paired with an image of (d+1) mod 10.

    Modality "a" is a digit d, modality "b" a different random image of digit (d + 1) mod 10
    drawn from the same split: the shared content is the class, the styles are independent
    (the digits analogue of MNIST-SVHN pairing). labels = d. Returns (train, test).
    """
    rng = np.random.default_rng(seed + 1)
    out = []
    for x, y in _digits(test_fraction, seed):
        partner = np.empty(len(x), np.int64)
        for d in range(10):
            mine = np.flatnonzero(y == d)
            pool = np.flatnonzero(y == (d + 1) % 10)
            partner[mine] = rng.choice(pool, size=len(mine), replace=len(pool) < len(mine))
        out.append(MultimodalData({"a": x, "b": x[partner]},
                                  np.ones((len(x), 2), np.float32), y, ("a", "b")))
    return tuple(out)


def digits_with_labels(test_fraction=0.25, seed=0):
    """scikit-learn digits with a label modality: "image" [N, 64] and "label" [N, 10] one-hot.
    Returns (train, test)."""
    out = []
    for x, y in _digits(test_fraction, seed):
        onehot = np.eye(10, dtype=np.float32)[y]
        out.append(MultimodalData({"image": x, "label": onehot},
                                  np.ones((len(x), 2), np.float32), y, ("image", "label")))
    return tuple(out)


def shared_private_synthetic(n=2000, num_classes=5, private_dim=2, sizes=(20, 30), noise=0.05,
                             seed=0):
    """A shared class and private styles rendered into each modality by fixed random networks.

    c ~ U{0..C-1}; for modality m, a private style s_m ~ N(0, I_p) and
    x_m = tanh(W2_m tanh(W1_m [e_c, s_m])) + noise * eps, with W1_m, W2_m fixed Gaussian
    matrices drawn from ``seed`` (e_c the one-hot class). Only the class is shared, so a good
    model's cross generations keep the class and resample the style. Modalities are named
    "m0", "m1", ...; labels = c.
    """
    rng = np.random.default_rng(seed)
    c = rng.integers(0, num_classes, n)
    onehot = np.eye(num_classes)[c]
    inputs = {}
    for m, size in enumerate(sizes):
        style = rng.normal(size=(n, private_dim))
        h = np.concatenate([2.0 * onehot, style], 1)
        w1 = rng.normal(size=(h.shape[1], 32)) / np.sqrt(h.shape[1])
        w2 = rng.normal(size=(32, size)) / np.sqrt(32)
        x = np.tanh(np.tanh(h @ w1) @ w2) + noise * rng.normal(size=(n, size))
        inputs[f"m{m}"] = x.astype(np.float32)
    names = tuple(inputs)
    return MultimodalData(inputs, np.ones((n, len(names)), np.float32), c, names)


@dataclasses.dataclass(frozen=True)
class LinearGaussianBimodal:
    """x_a = A_a z + sigma_a eps_a, x_b = A_b z + sigma_b eps_b, z ~ N(0, I_k), with exact
    answers computed in numpy from the generating parameters (not from any model)."""

    a_matrix: np.ndarray
    b_matrix: np.ndarray
    noise_a: float
    noise_b: float

    def _joint_cov(self):
        a = np.concatenate([self.a_matrix, self.b_matrix])
        noise = np.concatenate([np.full(len(self.a_matrix), self.noise_a ** 2),
                                np.full(len(self.b_matrix), self.noise_b ** 2)])
        return a @ a.T + np.diag(noise)

    def sample(self, n, seed=0):
        """A fully paired ``MultimodalData`` of n draws (labels: all zero)."""
        rng = np.random.default_rng(seed)
        z = rng.normal(size=(n, self.a_matrix.shape[1]))
        xa = z @ self.a_matrix.T + self.noise_a * rng.normal(size=(n, len(self.a_matrix)))
        xb = z @ self.b_matrix.T + self.noise_b * rng.normal(size=(n, len(self.b_matrix)))
        return MultimodalData({"a": xa.astype(np.float32), "b": xb.astype(np.float32)},
                              np.ones((n, 2), np.float32), np.zeros(n, np.int64), ("a", "b"))

    def conditional_b_given_a(self, xa):
        """Exact p(x_b | x_a) = N(S_ba S_aa^-1 x_a, S_bb - S_ba S_aa^-1 S_ab): (means [N, db],
        covariance [db, db])."""
        cov = self._joint_cov()
        da = len(self.a_matrix)
        s_aa, s_ab, s_bb = cov[:da, :da], cov[:da, da:], cov[da:, da:]
        gain = np.linalg.solve(s_aa, s_ab).T
        return np.asarray(xa, np.float64) @ gain.T, s_bb - gain @ s_ab

    def marginal_log_likelihood(self, x, modality):
        """Exact ln p(x_m) per example for ``modality`` "a" or "b", nats."""
        if modality not in ("a", "b"):
            raise ValueError(f"modality={modality!r} must be 'a' or 'b'")
        da = len(self.a_matrix)
        part = slice(0, da) if modality == "a" else slice(da, None)
        cov = self._joint_cov()[part, part]
        x = np.asarray(x, np.float64)
        _, logdet = np.linalg.slogdet(cov)
        quad = np.einsum("ni,ij,nj->n", x, np.linalg.inv(cov), x)
        return -0.5 * (quad + logdet + x.shape[1] * np.log(2 * np.pi))

    def mutual_information(self):
        """Exact I(x_a; x_b) = 1/2 ln(det S_aa det S_bb / det S), nats."""
        cov = self._joint_cov()
        da = len(self.a_matrix)
        logdet = [np.linalg.slogdet(c)[1] for c in (cov[:da, :da], cov[da:, da:], cov)]
        return 0.5 * (logdet[0] + logdet[1] - logdet[2])

    def latent_information(self, modality):
        """Exact I(x_m; z) = 1/2 sum_i ln(1 + s_i^2 / sigma_m^2) for A_m = Q diag(s), nats: the
        expected KL from the exact posterior p(z|x_m) to the prior (rotation-invariant)."""
        if modality not in ("a", "b"):
            raise ValueError(f"modality={modality!r} must be 'a' or 'b'")
        a, sigma = ((self.a_matrix, self.noise_a) if modality == "a"
                    else (self.b_matrix, self.noise_b))
        s2 = np.sum(np.square(a), axis=0)
        return 0.5 * float(np.sum(np.log1p(s2 / sigma ** 2)))

    def log_likelihood(self, xa, xb):
        """Exact ln p(x_a, x_b) per example, nats: the N(0, A A^T + diag sigma^2) density."""
        x = np.concatenate([xa, xb], 1).astype(np.float64)
        cov = self._joint_cov()
        _, logdet = np.linalg.slogdet(cov)
        quad = np.einsum("ni,ij,nj->n", x, np.linalg.inv(cov), x)
        return -0.5 * (quad + logdet + x.shape[1] * np.log(2 * np.pi))


def linear_gaussian_bimodal(dim_a=4, dim_b=3, latent_dim=2, noise_a=0.5, noise_b=0.3, seed=0):
    """A ``LinearGaussianBimodal`` whose A_m have orthogonal columns (A_m = Q_m diag(s_m)), so
    every exact posterior p(z|x_S) is a diagonal Gaussian: a product of diagonal Gaussian
    experts with a N(0, I) prior expert (MVAE with affine encoders and decoders) can represent
    the true model exactly."""
    rng = np.random.default_rng(seed)
    mats = []
    for dim in (dim_a, dim_b):
        if dim < latent_dim:
            raise ValueError(f"dim {dim} must be >= latent_dim={latent_dim}")
        q, _ = np.linalg.qr(rng.normal(size=(dim, latent_dim)))
        mats.append(q * rng.uniform(0.8, 2.0, size=latent_dim))
    return LinearGaussianBimodal(mats[0], mats[1], float(noise_a), float(noise_b))
