"""Cayley Adam: Adam on the Stiefel manifold St(n, p) = {U in R^{n x p}: U^T U = I}."""
from ibtf._keras import keras, tf

__all__ = ["CayleyAdam", "orthogonality_error"]


def orthogonality_error(u):
    """max_ij |U^T U - I|_ij, the distance of ``u`` [n, p] from the Stiefel manifold."""
    u = tf.convert_to_tensor(u)
    gram = tf.matmul(u, u, transpose_a=True)
    return tf.reduce_max(tf.abs(gram - tf.eye(tf.shape(u)[1], dtype=u.dtype)))


@keras.utils.register_keras_serializable(package="ibtf")
class CayleyAdam(keras.optimizers.Optimizer):
    """Adam whose steps stay on the Stiefel manifold, by the Cayley transform.

    Li, Li & Todorovic 2020, "Efficient Riemannian Optimization on the Stiefel Manifold via the
    Cayley Transform" (ICLR), Algorithm 2. For a variable X [n, p] with X^T X = I and Euclidean
    gradient G, per step k:

        M <- beta_1 M + (1 - beta_1) G,        v <- beta_2 v + (1 - beta_2) ||G||_F^2
        r  = (1 - beta_1^k) sqrt(v / (1 - beta_2^k) + eps)
        W^ = M X^T - 1/2 X (X^T M X^T),        W = (W^ - W^^T) / r     (skew-symmetric)
        M <- r W X                             (momentum moved to the tangent space)
        alpha = min(lr, 2 q / (||W||_F + eps))
        X <- (I + alpha/2 W)^{-1} (I - alpha/2 W) X

    ``W X`` is the tangent projection of the momentum, so X moves along -W X. The Cayley map of
    a skew-symmetric W is orthogonal, so X^T X is preserved exactly; the paper approximates the
    inverse with s = 2 fixed-point iterations, which leaves an O(alpha^3) error per step that
    accumulates, while here the [n, n] system is solved in float64 (n is a feature width: small),
    so the constraint holds to rounding through training. Variables with fewer than two
    dimensions, or with n < p, are rejected: they cannot lie on a Stiefel manifold.

    Args:
      learning_rate: l (St-RKM uses 1e-4).
      beta_1, beta_2, epsilon: Adam's constants.
      q: the step-size cap's constant (the paper's 0.5).
      name: the optimizer's name.
    """

    def __init__(self, learning_rate=1e-4, beta_1=0.9, beta_2=0.99, epsilon=1e-8, q=0.5,
                 name="CayleyAdam", **kwargs):
        kwargs.pop("jit_compile", None)
        super().__init__(name=name, jit_compile=False, **kwargs)
        self._learning_rate = self._build_learning_rate(learning_rate)
        self.beta_1, self.beta_2, self.epsilon, self.q = beta_1, beta_2, epsilon, q

    def build(self, var_list):
        super().build(var_list)
        if getattr(self, "_built", False):
            return
        self._built = True
        self._momentums, self._velocities = [], []
        for var in var_list:
            if var.shape.rank != 2 or var.shape[0] < var.shape[1]:
                raise ValueError(f"CayleyAdam updates [n, p] matrices with n >= p (points of the "
                                 f"Stiefel manifold); {var.name} has shape {var.shape}: give "
                                 "other variables to another optimizer")
            self._momentums.append(self.add_variable_from_reference(var, "m"))
            self._velocities.append(self.add_variable(
                [], dtype=var.dtype, name=f"v_{self._var_key(var).replace(':', '_')}"))

    def update_step(self, gradient, variable):
        index = self._index_dict[self._var_key(variable)]
        m_var, v_var = self._momentums[index], self._velocities[index]
        f64 = tf.float64
        x = tf.cast(variable, f64)
        g = tf.cast(tf.convert_to_tensor(gradient), f64)
        step = tf.cast(self.iterations + 1, f64)
        beta_1, beta_2 = tf.constant(self.beta_1, f64), tf.constant(self.beta_2, f64)
        m = beta_1 * tf.cast(m_var, f64) + (1 - beta_1) * g
        v = beta_2 * tf.cast(v_var, f64) + (1 - beta_2) * tf.reduce_sum(tf.square(g))
        r = (1 - tf.pow(beta_1, step)) * tf.sqrt(v / (1 - tf.pow(beta_2, step)) + self.epsilon)
        w_hat = tf.matmul(m, x, transpose_b=True) - 0.5 * tf.matmul(
            x, tf.matmul(tf.matmul(x, m, transpose_a=True), x, transpose_b=True))
        w = (w_hat - tf.transpose(w_hat)) / r
        m = r * tf.matmul(w, x)
        lr = tf.cast(self.learning_rate, f64)
        alpha = tf.minimum(lr, 2 * self.q / (tf.norm(w) + self.epsilon))
        eye = tf.eye(tf.shape(x)[0], dtype=f64)
        y = tf.linalg.solve(eye + 0.5 * alpha * w, tf.matmul(eye - 0.5 * alpha * w, x))
        variable.assign(tf.cast(y, variable.dtype))
        m_var.assign(tf.cast(m, m_var.dtype))
        v_var.assign(tf.cast(v, v_var.dtype))

    def get_config(self):
        config = super().get_config()
        config.update(learning_rate=self._serialize_hyperparameter(self._learning_rate),
                      beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon, q=self.q)
        return config
