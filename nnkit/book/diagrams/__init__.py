"""Structure diagrams drawn at build time from nnkit objects, one module per subject.

Every function returns a `Diagram` (`drawing`): a matplotlib Figure plus its alt text, shown as
SVG, at most `drawing.MAX_WIDTH` inches wide with text of at least `drawing.MIN_FONT` points.

- `drawing`: the `Diagram`, the colours and sizes, and the primitives every diagram uses.
- `networks`: a neuron, a network of Dense layers, its layer table, dropout masks (ch. 1, 6).
- `computation_graph`: forward values and backpropagated derivatives on a graph (ch. 3).
- `recurrent`: an RNN unrolled with its Jacobians, an LSTM and a GRU step (ch. 7).
- `shattering`: every labelling of a few points with the perceptron's line (ch. 8).
- `convolution`: convolution and pooling on one channel, and their diagram (ch. 9).

The diagrams are importable from this package (``from nnkit.book.diagrams import
network_diagram``); `conv2d_valid` and `pool2d` compute rather than draw, and are imported
from `nnkit.book.diagrams.convolution`.
"""

from nnkit.book.diagrams.computation_graph import computation_graph_diagram
from nnkit.book.diagrams.convolution import conv_pool_diagram
from nnkit.book.diagrams.drawing import Diagram
from nnkit.book.diagrams.networks import (dropout_diagram, dropout_masks, layer_table,
                                          network_diagram, neuron_diagram)
from nnkit.book.diagrams.recurrent import (gru_cell_diagram, lstm_cell_diagram, rnn_jacobians,
                                           unrolled_rnn_diagram)
from nnkit.book.diagrams.shattering import shattering_diagram

__all__ = [
    "Diagram",
    "computation_graph_diagram",
    "conv_pool_diagram",
    "dropout_diagram",
    "dropout_masks",
    "gru_cell_diagram",
    "layer_table",
    "lstm_cell_diagram",
    "network_diagram",
    "neuron_diagram",
    "rnn_jacobians",
    "shattering_diagram",
    "unrolled_rnn_diagram",
]
