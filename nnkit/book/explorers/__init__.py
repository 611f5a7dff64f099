"""The book's interactive explorers: the machinery, and the chapters' prebuilt ones.

Two kinds, both plain HTML that stays interactive in the static book with no kernel:

- frame explorers (`nnkit.book.widgets.Explorer`): a drawing function over a small grid of
  control values (`controls`), every frame precomputed and written into the page (`html`);
- page explorers (`jsexplorer.JSExplorer`): a formula the page's own JavaScript
  (``assets/explorers.js``) computes for any value of continuous controls. Each keeps a
  `python_render` that draws the same picture with nnkit (``.live()`` in a kernel), and
  tests/book/test_explorers_browser.py checks that both give the same numbers.

The chapters' prebuilt explorers are page explorers, one module per subject, all importable
from this package (``from nnkit.book.explorers import activation_explorer``):

- `closed_form`: an activation (ch. 2), a neuron (ch. 1), two losses (ch. 3), gradient descent
  on a quadratic (ch. 4), the VC bounds' sample sizes (ch. 8).
- `architecture`: a network's depth, widths and activation, drawn with what it computes (ch. 1).
- `initialization`: a deep network's activations as the initial weight scale changes (ch. 5).
- `gated_gradient`: the gradient through time with a fixed forget gate (ch. 7).
- `pooling`: an image with a bar, its edge feature map and the pooled map (ch. 9).
"""

from nnkit.book.explorers.architecture import architecture_explorer, architecture_network
from nnkit.book.explorers.closed_form import (activation_explorer, activation_values,
                                              gradient_descent_path, learning_rate_explorer,
                                              loss_explorer, neuron_explorer,
                                              pac_bounds_explorer, saturation_mask,
                                              sigmoid_losses)
from nnkit.book.explorers.gated_gradient import (gated_gradient_config, gated_gradient_explorer,
                                                 gated_gradient_rnn)
from nnkit.book.explorers.initialization import initialization_explorer
from nnkit.book.explorers.pooling import (POOL_KERNELS, bar_image, pooling_config,
                                          pooling_explorer, pooling_maps)

from nnkit.book.explorers import closed_form, gated_gradient, pooling

# What the chapters import from here: every public name of the three subject modules that
# re-export all they have, and the explorers of the other two (architecture, initialization).
__all__ = [*closed_form.__all__, *gated_gradient.__all__, *pooling.__all__,
           "architecture_explorer", "architecture_network", "initialization_explorer"]
