"""The straightforward training loop the helpers are measured against.

Written the way the seed document's code is (and most course notebooks are):
the loss computed at every iteration, the parameters kept in a dict keyed
``'W' + str(l)``, and a 12-element cache unpacked by position. Its arithmetic
is the one :func:`helpers.training.fit` must reproduce bit for bit.

This file is a benchmark baseline, not course code: nothing imports it but
the benchmarks and the test that checks the helpers against it.
"""

import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def relu(x):
    return np.maximum(0, x)


def forward_propagation(X, parameters):
    W1, b1 = parameters["W1"], parameters["b1"]
    W2, b2 = parameters["W2"], parameters["b2"]
    W3, b3 = parameters["W3"], parameters["b3"]
    z1 = np.dot(W1, X) + b1
    a1 = relu(z1)
    z2 = np.dot(W2, a1) + b2
    a2 = relu(z2)
    z3 = np.dot(W3, a2) + b3
    a3 = sigmoid(z3)
    cache = (z1, a1, W1, b1, z2, a2, W2, b2, z3, a3, W3, b3)
    return a3, cache


def backward_propagation(X, Y, cache):
    m = X.shape[1]
    (z1, a1, W1, b1, z2, a2, W2, b2, z3, a3, W3, b3) = cache
    dz3 = 1. / m * (a3 - Y)
    dW3 = np.dot(dz3, a2.T)
    db3 = np.sum(dz3, axis=1, keepdims=True)
    da2 = np.dot(W3.T, dz3)
    dz2 = np.multiply(da2, np.int64(a2 > 0))
    dW2 = np.dot(dz2, a1.T)
    db2 = np.sum(dz2, axis=1, keepdims=True)
    da1 = np.dot(W2.T, dz2)
    dz1 = np.multiply(da1, np.int64(a1 > 0))
    dW1 = np.dot(dz1, X.T)
    db1 = np.sum(dz1, axis=1, keepdims=True)
    return {"dz3": dz3, "dW3": dW3, "db3": db3,
            "da2": da2, "dz2": dz2, "dW2": dW2, "db2": db2,
            "da1": da1, "dz1": dz1, "dW1": dW1, "db1": db1}


def update_parameters(parameters, grads, learning_rate):
    L = len(parameters) // 2
    for k in range(L):
        parameters["W" + str(k + 1)] = parameters["W" + str(k + 1)] - learning_rate * grads["dW" + str(k + 1)]
        parameters["b" + str(k + 1)] = parameters["b" + str(k + 1)] - learning_rate * grads["db" + str(k + 1)]
    return parameters


def compute_loss(a3, Y):
    m = Y.shape[1]
    logprobs = np.multiply(-np.log(a3), Y) + np.multiply(-np.log(1 - a3), 1 - Y)
    return 1. / m * np.nansum(logprobs)


def model(X, Y, parameters, learning_rate=0.01, num_iterations=15000, record_every=1000):
    """Train a 3-layer network from ``parameters`` (a dict, copied first).

    Returns
    -------
    parameters : dict
        The trained parameters.
    costs : list of (int, float)
        ``(iteration, cost)`` every ``record_every`` iterations, the cost
        before that iteration's update, as the seed prints it.
    """
    parameters = {k: np.array(v, dtype=np.float64) for k, v in parameters.items()}
    costs = []
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        for i in range(num_iterations):
            a3, cache = forward_propagation(X, parameters)
            cost = compute_loss(a3, Y)
            grads = backward_propagation(X, Y, cache)
            parameters = update_parameters(parameters, grads, learning_rate)
            if i % record_every == 0:
                costs.append((i, float(cost)))
    return parameters, costs


def predict(X, parameters):
    with np.errstate(over="ignore"):
        a3, _ = forward_propagation(X, parameters)
    return (a3 > 0.5).astype(int)
