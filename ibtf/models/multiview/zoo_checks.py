"""Known-truth checks of the multi-view model (``ibtf zoo check NAME``).

Two views share a label; each carries its own binary nuisance drawn independently of the label
(``ibtf.data.planted.two_views``), so an ideal code holds the label and nothing of the nuisance
(probe at chance). The unconstrained model is the same network trained on cross-entropy alone
(no distillation terms, beta = 0). Probes read sampled codes z ~ q(z|v) (the benchmark also
reports probes on posterior means).
"""
import functools

import numpy as np

from ibtf.models.zoo.helpers import code_probes, seed_everything
from ibtf.models.zoo.registry import register

__all__ = ["vsd_experiment"]


@functools.lru_cache(maxsize=None)
def vsd_experiment(quick=True, seed=0):
    from ibtf._keras import keras
    from ibtf.data.planted import two_views
    from ibtf.metrics.fairness import base_rate
    from ibtf.models.multiview.vsd import MultiViewVSD

    seed_everything(seed)
    n, epochs = (6000, 15) if quick else (12000, 25)
    train, test = two_views(n, seed=seed), two_views(8000, seed=seed + 1000)
    out = {"chance": base_rate(test.nuisance1)}
    for name, beta, weight in (("unconstrained", 0.0, 0.0), ("vsd", 0.1, 1.0)):
        model = MultiViewVSD((train.view1.shape[1], train.view2.shape[1]), 4, beta=beta,
                             vsd_weight=weight, vcd_weight=weight, vml_weight=weight, seed=seed)
        model.compile(keras.optimizers.Adam(1e-3))
        model.fit((train.view1, train.view2), train.y, batch_size=256, epochs=epochs, verbose=0)
        prediction = model((test.view1, test.view2)).numpy().argmax(-1)
        row = {"acc": float(np.mean(prediction == test.y))}
        for k, (tr_v, te_v, tr_n, te_n) in enumerate(
                ((train.view1, test.view1, train.nuisance1, test.nuisance1),
                 (train.view2, test.view2, train.nuisance2, test.nuisance2))):
            row[f"probe{k + 1}"], row[f"probe{k + 1}_mean"] = code_probes(
                lambda x, draw, k=k: model.sample_codes(k, x, draw),
                lambda x, k=k: model.encode(k, x), tr_v, tr_n, te_v, te_n, seed)
        out[name] = row
    return out


_VSD = dict(model="ibtf.models.multiview.MultiViewVSD",
            paper="Tian et al. 2021, Farewell to Mutual Information: Variational Distillation "
                  "for Cross-Modal Person Re-Identification")


@register("vsd_nuisance", check="the larger of the two views' nuisance-probe accuracies on z "
                                "vs chance, within 0.03", **_VSD)
def vsd_nuisance(quick, seed):
    result = vsd_experiment(quick, seed)
    return max(result["vsd"]["probe1"], result["vsd"]["probe2"]), result["chance"], 0.03


@register("vsd_accuracy", check="label accuracy from z vs the unconstrained model (cross-"
                                "entropy only) trained the same way, within 0.03", **_VSD)
def vsd_accuracy(quick, seed):
    result = vsd_experiment(quick, seed)
    return result["vsd"]["acc"], result["unconstrained"]["acc"], 0.03
