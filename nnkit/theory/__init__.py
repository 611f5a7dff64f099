"""Theory tools built on the nnkit core: what networks can represent and learn.

- `perceptron`: Rosenblatt's perceptron, linear separability, shattering (chapter 8).
- `pac`: PAC and VC sample-complexity bounds (chapter 8).
- `regions`: linear regions of ReLU networks and spectral bias (chapter 8).
- `recurrent`: Jacobians and gradient norms through time (chapter 7).

Depends on the core (`nnkit.core`, layers, losses, optim) and never on `nnkit.book`.
"""

from nnkit.theory.pac import (
    epsilon_for_sample_size,
    finite_class_sample_size,
    vc_sample_size_anthony_biggs,
    vc_sample_size_blumer,
)
from nnkit.theory.perceptron import (
    PerceptronResult,
    ShatterResult,
    is_linearly_separable,
    perceptron,
    shatters,
    vc_dimension_halfspaces,
)
from nnkit.theory.recurrent import (
    fixed_gate_grad_norms,
    grad_norm_vs_distance,
    jacobian_product_singular_values,
    scale_spectral_radius,
    step_jacobians,
)
from nnkit.theory.regions import (
    LinearRegions,
    SpectralBiasHistory,
    fourier_amplitudes,
    linear_regions,
    random_relu_net,
    spectral_bias_history,
)

__all__ = [
    "PerceptronResult", "perceptron", "is_linearly_separable", "ShatterResult", "shatters",
    "vc_dimension_halfspaces",
    "finite_class_sample_size", "vc_sample_size_blumer", "vc_sample_size_anthony_biggs",
    "epsilon_for_sample_size",
    "LinearRegions", "linear_regions", "random_relu_net", "fourier_amplitudes",
    "SpectralBiasHistory", "spectral_bias_history",
    "step_jacobians", "grad_norm_vs_distance", "jacobian_product_singular_values",
    "scale_spectral_radius", "fixed_gate_grad_norms",
]
