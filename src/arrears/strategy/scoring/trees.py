"""Per-feature contributions of a histogram-gradient-boosting model, by following each row's tree paths.

For every tree, each node's *mean* is the training-count-weighted mean of the leaf values beneath it
(a leaf's mean is its value). A row's path from the root to its leaf passes splits; the split on
feature j moves the tree's output from the parent's mean to the child's mean, and that move is
credited to feature j (Saabas' method). Summed over a tree the moves give leaf - tree mean, so over
all trees the contributions add up exactly to the row's log-odds minus the average row's
(baseline + the tree means): an exact decomposition, though how it splits interactions between
features depends on the order of the splits (that is its known limitation).

Only the fitted trees' node arrays are read (value, count, feature_idx, num_threshold,
missing_go_to_left, left, right, is_leaf); no categorical splits are used by our features.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

Float = npt.NDArray[np.float64]
Int = npt.NDArray[np.int64]


@dataclass
class PathTables:
    """All trees' nodes in flat arrays (node ids offset per tree) and each leaf's contribution row."""

    roots: Int
    feature: Int
    threshold: Float
    missing_left: npt.NDArray[np.bool_]
    left: Int
    right: Int
    is_leaf: npt.NDArray[np.bool_]
    leaf_contrib: Float  # (n_nodes, n_features): zero rows for internal nodes
    max_depth: int
    offset: float  # baseline + sum of the tree means: the average row's log-odds
    # per tree, for small trees: its internal nodes (flat ids) and a table from the pattern of their
    # split outcomes (bit k set: went left at internal node k) to the leaf reached; None for big trees
    patterns: list[tuple[Int, Int] | None]


MAX_PATTERN_NODES = 12  # 4096-entry tables at most


def _pattern_table(nodes: Any, base: int) -> tuple[Int, Int] | None:
    """(internal flat ids, leaf by outcome pattern) of one tree, or None when it has too many splits."""
    internal = [i for i in range(len(nodes)) if not nodes["is_leaf"][i]]
    if len(internal) > MAX_PATTERN_NODES:
        return None
    position = {node: k for k, node in enumerate(internal)}
    table = np.empty(1 << len(internal), dtype=np.int64)
    for pattern in range(len(table)):
        i = 0
        while not nodes["is_leaf"][i]:
            went_left = (pattern >> position[i]) & 1
            i = int(nodes["left"][i] if went_left else nodes["right"][i])
        table[pattern] = i + base
    return np.array(internal, dtype=np.int64) + base, table


def _tree(nodes: Any, n_features: int) -> tuple[Float, Float]:
    """(node means, per-node contribution rows: filled for leaves) of one tree's node array."""
    n = len(nodes)
    mean = np.zeros(n)
    count = nodes["count"].astype(np.float64)
    for i in range(n - 1, -1, -1):  # children come after their parent in the array
        if nodes["is_leaf"][i]:
            mean[i] = nodes["value"][i]
        else:
            left, right = int(nodes["left"][i]), int(nodes["right"][i])
            total = count[left] + count[right]
            mean[i] = (count[left] * mean[left] + count[right] * mean[right]) / total if total else 0.0
    contrib = np.zeros((n, n_features))
    for i in range(n):  # parents first: push the parent's row down to the children
        if nodes["is_leaf"][i]:
            continue
        j = int(nodes["feature_idx"][i])
        for child in (int(nodes["left"][i]), int(nodes["right"][i])):
            contrib[child] = contrib[i]
            contrib[child, j] += mean[child] - mean[i]
    leaf_rows = np.where(nodes["is_leaf"][:, None], contrib, 0.0)
    return mean, leaf_rows


def path_tables(model: Any) -> PathTables:
    """Flatten a fitted binary HistGradientBoostingClassifier's trees."""
    predictors = [it[0] for it in model._predictors]  # one tree per iteration for a binary classifier
    n_features = int(model.n_features_in_)
    parts: dict[str, list[Any]] = {k: [] for k in ("feature", "threshold", "missing", "left", "right", "leaf",
                                                   "contrib")}
    roots, offset, base, depth = [], float(np.ravel(model._baseline_prediction)[0]), 0, 0
    patterns: list[tuple[Int, Int] | None] = []
    for predictor in predictors:
        nodes = predictor.nodes
        if "is_categorical" in nodes.dtype.names and nodes["is_categorical"].any():
            raise ValueError("categorical splits are not supported")
        mean, contrib = _tree(nodes, n_features)
        roots.append(base)
        offset += float(mean[0])
        parts["feature"].append(nodes["feature_idx"].astype(np.int64))
        parts["threshold"].append(nodes["num_threshold"].astype(np.float64))
        parts["missing"].append(nodes["missing_go_to_left"].astype(bool))
        parts["left"].append(nodes["left"].astype(np.int64) + base)
        parts["right"].append(nodes["right"].astype(np.int64) + base)
        parts["leaf"].append(nodes["is_leaf"].astype(bool))
        parts["contrib"].append(contrib)
        depth = max(depth, int(nodes["depth"].max()))
        patterns.append(_pattern_table(nodes, base))
        base += len(nodes)
    return PathTables(
        roots=np.array(roots, dtype=np.int64), feature=np.concatenate(parts["feature"]),
        threshold=np.concatenate(parts["threshold"]), missing_left=np.concatenate(parts["missing"]),
        left=np.concatenate(parts["left"]), right=np.concatenate(parts["right"]),
        is_leaf=np.concatenate(parts["leaf"]), leaf_contrib=np.vstack(parts["contrib"]), max_depth=depth,
        offset=offset, patterns=patterns,
    )


def _walk(tables: PathTables, x: Float, root: int) -> Int:
    """The leaf each row reaches in one tree, walking level by level (for big trees)."""
    node = np.full(x.shape[0], root, dtype=np.int64)
    rows = np.arange(x.shape[0])
    for _ in range(tables.max_depth):
        internal = ~tables.is_leaf[node]
        if not internal.any():
            break
        values = x[rows, tables.feature[node]]
        go_left = (values <= tables.threshold[node]) | (np.isnan(values) & tables.missing_left[node])
        node = np.where(internal, np.where(go_left, tables.left[node], tables.right[node]), node)
    return node


def leaves(tables: PathTables, x: Float) -> Int:
    """The leaf node (flat id) each row reaches in each tree: shape (rows, trees).

    A small tree evaluates each of its splits once over all rows and looks the leaf up by the pattern
    of outcomes; a big one is walked level by level.
    """
    x = np.asfortranarray(x)
    out = np.empty((x.shape[0], len(tables.roots)), dtype=np.int64)
    for t, root in enumerate(tables.roots):
        pattern = tables.patterns[t]
        if pattern is None:
            out[:, t] = _walk(tables, x, int(root))
            continue
        internal, table = pattern
        code = np.zeros(x.shape[0], dtype=np.int64)
        for k, node in enumerate(internal):
            col = x[:, tables.feature[node]]
            went_left = col <= tables.threshold[node]
            if tables.missing_left[node]:
                went_left |= np.isnan(col)
            code |= went_left.astype(np.int64) << k
        out[:, t] = table[code]
    return out


def contributions(tables: PathTables, x: Float) -> Float:
    """Per-feature contributions to each row's log-odds (they sum to log-odds minus tables.offset)."""
    from scipy import sparse

    reached = leaves(tables, x)
    n, trees = reached.shape
    hits = sparse.csr_matrix((np.ones(n * trees), reached.ravel(), np.arange(0, n * trees + 1, trees)),
                             shape=(n, len(tables.feature)))
    return np.asarray(hits @ tables.leaf_contrib, dtype=np.float64)
