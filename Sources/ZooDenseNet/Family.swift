import ZooNN
