"""Zoo's SmallCNN at 32x32x3 in Keras (Sequential, automatic names), shared by the fixture scripts.

Conv2D 32/64/64 + BatchNormalization + MaxPooling2D, Flatten, Dense 128 ReLU, Dropout 0.3,
Dense 2 softmax: the LIDC network on a small input, so fixtures stay small.
"""
import keras


def small_cnn_32():
    keras.backend.clear_session()  # automatic names count from a fresh program, as Zoo's do
    layers = [keras.Input((32, 32, 3))]
    for filters in (32, 64, 64):
        layers += [
            keras.layers.Conv2D(filters, 3, activation="relu"),
            keras.layers.BatchNormalization(),
            keras.layers.MaxPooling2D(),
        ]
    layers += [
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(2, activation="softmax"),
    ]
    return keras.Sequential(layers)
