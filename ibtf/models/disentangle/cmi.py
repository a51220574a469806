"""Disentanglement under correlated attributes by minimising conditional mutual information."""
from ibtf._keras import keras, tf
from ibtf.estimators.total_correlation import PermutationDiscriminator
from ibtf.models.base import IBModel, check_array
from ibtf.models.disentangle._parts import check_positive_int, check_units, dense_stack

CRITICS = ("permutation", "label")

__all__ = ["CRITICS", "CMIDisentangler", "permute_within_groups", "pack_by_group"]


def permute_within_groups(values, groups, seed):
    """Permutes the rows of ``values`` only among rows with the same ``groups`` entry.

    Rows i and pi(i) always share their group, so for rows drawn from q(z_a, z_b, a) the
    result (z_a, z_b[pi]) is a draw from q(z_a | a) q(z_b | a) q(a): the conditional product of
    marginals (Funke et al. 2022, Sec. 4). Grouping every row together gives the ordinary
    batch permutation, i.e. the unconditional product q(z_a) q(z_b).

    Args:
      values: [B, k] tensor.
      groups: [B] int tensor of group ids (an attribute's values).
      seed: stateless seed, a shape-[2] int tensor.

    Returns:
      [B, k] tensor.
    """
    groups = tf.cast(groups, tf.float32)
    noise = tf.random.stateless_uniform(tf.shape(groups), seed=seed, maxval=0.5)
    noise_2 = tf.random.stateless_uniform(tf.shape(groups), seed=seed + 1, maxval=0.5)
    # Sorting by group + noise lists every group's rows contiguously, in random order; two
    # sorts give two random orders with the same group at every position.
    source = tf.argsort(groups * 2.0 + noise_2)
    target = tf.argsort(groups * 2.0 + noise)
    return tf.gather(tf.gather(values, source), tf.argsort(target))


def pack_by_group(values, groups, pack, seed):
    """Stacks ``pack`` rows of the same group into one row (PacGAN inputs, Lin et al. 2018).

    The rows are listed group by group in a random order within each group (the same sort as
    ``permute_within_groups``) and every ``pack`` consecutive rows form one packed row of
    ``pack * k`` values. Packs that straddle a group boundary (at most one per boundary) are
    marked impure and must be left out. Shapes stay static: B rows give B // pack packs.

    Args:
      values: [B, k] tensor, B a multiple of ``pack``.
      groups: [B] int tensor.
      pack: rows per pack.
      seed: stateless seed, a shape-[2] int tensor.

    Returns:
      ``(packed [B // pack, pack * k], pack_group [B // pack] int32, pure [B // pack] float)``.
    """
    groups = tf.cast(groups, tf.int32)
    noise = tf.random.stateless_uniform(tf.shape(groups), seed=seed, maxval=0.5)
    order = tf.argsort(tf.cast(groups, tf.float32) * 2.0 + noise)
    width = values.shape[-1]
    packed = tf.reshape(tf.gather(values, order), [-1, pack * width])
    sorted_groups = tf.reshape(tf.gather(groups, order), [-1, pack])
    pure = tf.cast(tf.reduce_all(tf.equal(sorted_groups, sorted_groups[:, :1]), axis=1),
                   values.dtype)
    return packed, sorted_groups[:, 0], pure


@keras.utils.register_keras_serializable(package="ibtf")
class CMIDisentangler(IBModel):
    """Attribute classifiers on separate subspaces of z, with z_j independent of z_{-j} given a_j.

    z = e(x) = [z_1, ..., z_m] (one subspace of ``subspace_dim`` per attribute), classifiers
    p(a_j | z_j), and for every attribute j and value v a discriminator D_{j,v} telling z from
    z with z_{-j} permuted among the examples with a_j = v. With balanced classes its logit is
    ln q(z | a_j = v) / q(z_j | v) q(z_{-j} | v), so its mean over those examples estimates
    I(z_j; z_{-j} | a_j = v). The encoder and the classifiers minimise

        L = sum_j mean_i [ -ln p(a_ij | z_ij) ]
            + lambda * sum_j sum_v P(a_j = v) mean_{i: a_ij = v} D_{j,v}(z_i)

    i.e. cross-entropy plus lambda times the estimated sum_j I(z_j; z_{-j} | a_j), while the
    discriminators minimise their logistic loss on z (stopped) and its permutation (Funke et
    al. 2022, "Disentanglement and generalization under correlation shifts", eq. 3 and Alg. 1).
    ``conditional=False`` is the unconditional variant: the permutation runs over the whole
    batch and the penalty estimates I(z_j; z_{-j}), which fights the attributes' own
    correlation.

    As in the authors' code, each discriminator may see ``pack`` examples of its group at once
    (PacGAN, Lin et al. 2018): its logit then estimates ``pack`` times the per-example log
    ratio, so the estimate divides by ``pack``. With ``encoder_loss="gan"`` the encoder
    minimises the discriminators' logistic loss with swapped labels (their code) instead of
    the estimate itself.

    ``critic="label"`` measures the dependence a correlation shift exploits directly: the
    conditional MI between z_j and the *labels* of the other attributes given a_j,
    I(z_j; a_k | a_j), with for every (j, v) a classifier q_{j,v}(a_k | z_j) trained on the
    examples with a_j = v. Each example is weighted so that a_k is uniform within the group
    (w_i proportional to 1 / n(a_j = v, a_k = a_ik)); that leaves p(z_j | a_j, a_k) unchanged,
    so the reweighted CMI is zero exactly when the original one is, while the shortcut's
    dependence, carried at rho = 0.9 by the 5 % of examples with a_k != a_j, now weighs on
    every example. The estimate is the Barber-Agakov bound under those weights,

        I_w(z_j; a_k | a_j = v) >= ln K_v - sum_i w_i [-ln q_{j,v}(a_ik | z_ij)]

    (K_v the values of a_k present in the group), summed over k != j and weighted by
    P(a_j = v) as above; the encoder minimises it (each term clipped at 0) while the
    classifiers minimise their weighted cross-entropy. ``conditional=False`` uses one group
    (all examples): I(z_j; a_k).

    Args:
      num_attributes: m.
      num_values: values of each (categorical) attribute, labels in [0, num_values).
      subspace_dim: size of each attribute's subspace z_j.
      hidden_units: the encoder MLP's widths.
      lam: lambda, the weight of the (conditional) MI penalty.
      conditional: permute within attribute values (True) or over the batch (False).
      discriminator_units: widths of each discriminator.
      pack: examples of one group stacked into one discriminator input (1: none).
      encoder_loss: "ratio" (the CMI estimate above) or "gan" (swapped-label logistic loss);
        the label critic always uses its estimate.
      critic: "permutation" (z_j against z_{-j} permuted within the group, the paper's) or
        "label" (z_j against the other attributes' labels, class-balanced, see above).
      seed: seeds initialisers and permutations.

    Metrics: ``loss``, ``ce_nats`` (sum over attributes), ``mi_nats`` (the penalty's estimate),
    ``discriminator_loss``, ``accuracy_<j>``.

    >>> model = CMIDisentangler(num_attributes=2, subspace_dim=2, seed=0)
    >>> model.compile(keras.optimizers.Adam(1e-3))
    >>> model.fit(x, labels, epochs=30)   # doctest: +SKIP
    """

    def __init__(self, num_attributes=2, num_values=2, subspace_dim=2, hidden_units=(64, 64),
                 lam=1.0, conditional=True, discriminator_units=(64, 64), pack=1,
                 encoder_loss="ratio", critic="permutation", seed=0, **kwargs):
        super().__init__(beta=0.0, **kwargs)
        self.num_attributes = check_positive_int(num_attributes, "num_attributes",
                                                 "at least 2 attributes to disentangle",
                                                 minimum=2)
        self.num_values = check_positive_int(num_values, "num_values", "e.g. 2 (binary)",
                                             minimum=2)
        self.subspace_dim = check_positive_int(subspace_dim, "subspace_dim", "e.g. 2")
        self.hidden_units = check_units(hidden_units)
        self.discriminator_units = check_units(discriminator_units, "discriminator_units")
        if not float(lam) >= 0:
            raise ValueError(f"lam={lam!r} must be >= 0 (the weight of the MI penalty)")
        self.lam = float(lam)
        self.conditional = bool(conditional)
        self.pack = check_positive_int(pack, "pack", "examples per discriminator input, e.g. 10")
        if encoder_loss not in ("ratio", "gan"):
            raise ValueError(f"encoder_loss={encoder_loss!r} must be 'ratio' (the CMI estimate) "
                             "or 'gan' (the swapped-label discriminator loss)")
        self.encoder_loss = encoder_loss
        if critic not in CRITICS:
            raise ValueError(f"critic={critic!r} must be 'permutation' (z_j against z_{{-j}} "
                             "permuted within the group) or 'label' (z_j against the other "
                             "attributes' labels)")
        self.critic = critic
        self.seed = check_positive_int(seed, "seed", "a non-negative int", minimum=0)
        self.code_dim = self.num_attributes * self.subspace_dim
        self.encoder = dense_stack(self.hidden_units, self.code_dim, seed, "encoder")
        self.heads = [keras.layers.Dense(self.num_values, name=f"head_{j}",
                                         kernel_initializer=keras.initializers.GlorotUniform(
                                             seed + 200 + j))
                      for j in range(self.num_attributes)]
        groups = self.num_values if self.conditional else 1
        if critic == "label":
            # q_{j,v}(a_k | z_j) for every other attribute k: (m - 1) K logits.
            self.discriminators = [
                dense_stack(self.discriminator_units,
                            (self.num_attributes - 1) * self.num_values, seed + 1000 + 10 * k,
                            f"discriminator_{k}")
                for k in range(self.num_attributes * groups)]
        else:
            self.discriminators = [
                PermutationDiscriminator(self.discriminator_units, activation="leaky_relu",
                                         seed=seed + 1000 + 10 * k, name=f"discriminator_{k}")
                for k in range(self.num_attributes * groups)]
        self._step = tf.Variable(0, dtype=tf.int32, trainable=False, name="step")
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.ce_tracker = keras.metrics.Mean(name="ce_nats")
        self.mi_tracker = keras.metrics.Mean(name="mi_nats")
        self.disc_tracker = keras.metrics.Mean(name="discriminator_loss")
        self.accuracy = [keras.metrics.SparseCategoricalAccuracy(name=f"accuracy_{j}")
                         for j in range(self.num_attributes)]
        self.input_dim = None

    def compile(self, optimizer="adam", discriminator_optimizer=None, **kwargs):
        """``discriminator_optimizer`` trains the discriminators (default: Adam(1e-3)); a
        faster one than the encoder's keeps them ahead of it, as adversarial estimates need."""
        super().compile(optimizer=optimizer, **kwargs)
        self.discriminator_optimizer = keras.optimizers.get(
            discriminator_optimizer or keras.optimizers.Adam(1e-3))

    @property
    def metrics(self):
        return [self.loss_tracker, self.ce_tracker, self.mi_tracker, self.disc_tracker,
                *self.accuracy]

    def build(self, input_shape):
        input_shape = tf.TensorShape(input_shape)
        if input_shape.rank != 2 or input_shape[-1] is None:
            raise ValueError(f"inputs have shape {input_shape}; expected [batch, features]")
        self.input_dim = int(input_shape[-1])
        z = self.encoder(tf.zeros([1, self.input_dim]))
        for j, head in enumerate(self.heads):
            head(self.subspace(z, j))
        width = self.subspace_dim if self.critic == "label" else self.pack * self.code_dim
        for disc in self.discriminators:
            disc(tf.zeros([1, width]))
        self._build_input_shape = input_shape
        self.built = True

    def subspace(self, z, j):
        """z_j, the columns of attribute j."""
        return z[:, j * self.subspace_dim:(j + 1) * self.subspace_dim]

    def _swap_others(self, z, j, permuted):
        """z with every subspace except j taken from ``permuted``."""
        d = self.subspace_dim
        return tf.concat([permuted[:, :j * d], z[:, j * d:(j + 1) * d], permuted[:, (j + 1) * d:]],
                         axis=1)

    def _discriminator_terms(self, z, labels, seed):
        """Per discriminator (j, v): (its group's share P(a_j = v), mask of its packs, logits
        on the packed z, logits on the packed z with z_{-j} permuted within the group)."""
        terms = []
        groups_per = self.num_values if self.conditional else 1
        for j in range(self.num_attributes):
            groups = labels[:, j] if self.conditional else tf.zeros_like(labels[:, j])
            permuted = self._swap_others(z, j, permute_within_groups(z, groups, seed + 7 * j))
            real, pack_group, pure = pack_by_group(z, groups, self.pack, seed + 7 * j + 3)
            fake, _, _ = pack_by_group(permuted, groups, self.pack, seed + 7 * j + 3)
            for v in range(groups_per):
                disc = self.discriminators[j * groups_per + v]
                share = tf.reduce_mean(tf.cast(tf.equal(groups, v), z.dtype))
                mask = pure * tf.cast(tf.equal(pack_group, v), z.dtype)
                terms.append((share, mask, disc(real), disc(fake)))
        return terms

    def _label_terms(self, z, labels):
        """The balanced Barber-Agakov estimate sum_j sum_v P(a_j = v) sum_{k != j}
        I_w(z_j; a_k | a_j = v), the encoder's penalty (the same sum with every term clipped
        at 0 from below: a critic worse than chance measures nothing, and pushing it further
        below would only make z_j anti-informative), and the critics' weighted
        cross-entropy."""
        groups_per = self.num_values if self.conditional else 1
        estimates, penalties, losses = [], [], []
        for j in range(self.num_attributes):
            groups = labels[:, j] if self.conditional else tf.zeros_like(labels[:, j])
            others = [k for k in range(self.num_attributes) if k != j]
            for v in range(groups_per):
                disc = self.discriminators[j * groups_per + v]
                logits = tf.reshape(disc(self.subspace(z, j)),
                                    [-1, len(others), self.num_values])
                in_group = tf.cast(tf.equal(groups, v), z.dtype)
                share = tf.reduce_mean(in_group)
                for slot, k in enumerate(others):
                    onehot = tf.one_hot(labels[:, k], self.num_values, dtype=z.dtype)
                    counts = tf.reduce_sum(onehot * in_group[:, None], axis=0)
                    weights = in_group * tf.reduce_sum(
                        onehot * tf.math.divide_no_nan(1.0, counts), axis=1)
                    weights = tf.math.divide_no_nan(weights, tf.reduce_sum(weights))
                    ce = tf.reduce_sum(weights * tf.nn.sparse_softmax_cross_entropy_with_logits(
                        labels[:, k], logits[:, slot]))
                    present = tf.reduce_sum(tf.cast(counts > 0, z.dtype))
                    estimate = tf.where(present > 0,
                                        tf.math.log(tf.maximum(present, 1.0)) - ce, 0.0)
                    estimates.append(share * estimate)
                    penalties.append(share * tf.maximum(estimate, 0.0))
                    losses.append(ce)
        return tf.add_n(estimates), tf.add_n(penalties), tf.add_n(losses)

    def _penalty(self, terms):
        """The encoder's term: sum over (j, v) of P(a_j = v) times, for ``encoder_loss="ratio"``,
        the mean logit per example (the CMI estimate, nats), or for ``"gan"`` the
        discriminator's loss with the labels swapped (real packs called permuted and the
        reverse), as in Funke et al.'s code."""
        if self.encoder_loss == "ratio":
            return tf.add_n([share * self._masked_mean(real, mask) / self.pack
                             for share, mask, real, _ in terms])
        return tf.add_n([share * self._masked_mean(tf.nn.softplus(real) + tf.nn.softplus(-fake),
                                                   mask)
                         for share, mask, real, fake in terms])

    def _estimate(self, terms):
        """sum_j sum_v P(a_j = v) mean logit / pack: the estimated sum_j I(z_j; z_{-j} | a_j)."""
        return tf.add_n([share * self._masked_mean(real, mask) / self.pack
                         for share, mask, real, _ in terms])

    def _discriminator_loss(self, terms):
        return tf.add_n([self._masked_mean(tf.nn.softplus(-real) + tf.nn.softplus(fake), mask)
                         for _, mask, real, fake in terms])

    @staticmethod
    def _masked_mean(values, mask):
        return tf.reduce_sum(values * mask) / tf.maximum(tf.reduce_sum(mask), 1.0)

    def train_step(self, data):
        x, labels = data
        labels = tf.cast(tf.reshape(labels, [-1, self.num_attributes]), tf.int32)
        seed = tf.stack([tf.constant(self.seed, tf.int32), self._step.assign_add(1)])
        with tf.GradientTape(persistent=True) as tape:
            z = self.encoder(x, training=True)
            logits = [head(self.subspace(z, j)) for j, head in enumerate(self.heads)]
            ce = tf.add_n([tf.nn.sparse_softmax_cross_entropy_with_logits(labels[:, j], lg)
                           for j, lg in enumerate(logits)])
            # One critic pass serves both sides: the encoder's step takes the gradient of
            # ``loss`` for its own variables only, the critics' step that of ``disc_loss`` for
            # theirs, so no stopped copy of z needs a second pass.
            if self.critic == "label":
                mi, penalty, disc_loss = self._label_terms(z, labels)
                loss = tf.reduce_mean(ce) + self.lam * penalty
            else:
                terms = self._discriminator_terms(z, labels, seed)
                mi = self._estimate(terms)
                loss = tf.reduce_mean(ce) + self.lam * self._penalty(terms)
                # Discriminator side: balanced logistic loss per group.
                disc_loss = self._discriminator_loss(terms)
        main_vars = self.encoder.trainable_variables + [
            w for head in self.heads for w in head.trainable_variables]
        disc_vars = [w for disc in self.discriminators for w in disc.trainable_variables]
        self.minimize(loss, tape, main_vars)
        self.minimize(disc_loss, tape, disc_vars, optimizer=self.discriminator_optimizer)
        del tape
        return self._track(loss, ce, mi, disc_loss, labels, logits)

    def test_step(self, data):
        x, labels = data
        labels = tf.cast(tf.reshape(labels, [-1, self.num_attributes]), tf.int32)
        z = self.encoder(x, training=False)
        logits = [head(self.subspace(z, j)) for j, head in enumerate(self.heads)]
        ce = tf.add_n([tf.nn.sparse_softmax_cross_entropy_with_logits(labels[:, j], lg)
                       for j, lg in enumerate(logits)])
        if self.critic == "label":
            mi, penalty, disc_loss = self._label_terms(z, labels)
            return self._track(tf.reduce_mean(ce) + self.lam * penalty, ce, mi, disc_loss,
                               labels, logits)
        terms = self._discriminator_terms(z, labels, tf.constant([self.seed, -1], tf.int32))
        return self._track(tf.reduce_mean(ce) + self.lam * self._penalty(terms), ce,
                           self._estimate(terms), self._discriminator_loss(terms), labels,
                           logits)

    def _track(self, loss, ce, mi, disc_loss, labels, logits):
        self.loss_tracker.update_state(loss)
        self.ce_tracker.update_state(ce)
        self.mi_tracker.update_state(mi)
        self.disc_tracker.update_state(disc_loss)
        for j, metric in enumerate(self.accuracy):
            metric.update_state(labels[:, j], logits[j])
        return {m.name: m.result() for m in self.metrics}

    def call(self, inputs, training=False):
        """The code z = e(x), [batch, num_attributes * subspace_dim]."""
        return self.encoder(inputs, training=training)

    def predict_attributes(self, x):
        """Class ids of every attribute, int [batch, num_attributes]."""
        x = tf.convert_to_tensor(self._check_x(x))
        z = self(x)
        return tf.stack([tf.argmax(head(self.subspace(z, j)), axis=-1, output_type=tf.int32)
                         for j, head in enumerate(self.heads)], axis=1)

    def _check_x(self, x):
        return check_array("x", x, None if self.input_dim is None else (self.input_dim,))

    def fit(self, x=None, y=None, *args, **kwargs):
        x = self._check_x(x)
        self._build_for(x)
        return super().fit(x, y, *args, **kwargs)

    def serving_signatures(self):
        """``encode`` (the default): ``x`` -> ``code`` z and ``probabilities_<j>`` p(a_j | z_j)."""
        if not self.built:
            raise ValueError("the model is not built: fit or call it once before exporting")

        @tf.function(input_signature=[tf.TensorSpec([None, self.input_dim], tf.float32,
                                                    name="x")])
        def encode(x):
            z = self.encoder(x)
            out = {"code": z}
            for j, head in enumerate(self.heads):
                out[f"probabilities_{j}"] = tf.nn.softmax(head(self.subspace(z, j)))
            return out

        return {"serving_default": encode, "encode": encode}

    def get_config(self):
        return {**super().get_config(), "num_attributes": self.num_attributes,
                "num_values": self.num_values, "subspace_dim": self.subspace_dim,
                "hidden_units": list(self.hidden_units), "lam": self.lam,
                "conditional": self.conditional,
                "discriminator_units": list(self.discriminator_units), "pack": self.pack,
                "encoder_loss": self.encoder_loss, "critic": self.critic,
                "seed": self.seed}
