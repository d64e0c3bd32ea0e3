"""The International Crisis Behavior library, crisis -> generic scenario, calibration, backtest.

- :mod:`redline.history.icb`: load and check the ICB v15 tables;
- :mod:`redline.history.codebook`: what the codes mean, and when each is known;
- :mod:`redline.history.mapping`: a crisis's coded start -> a generic scenario;
- :mod:`redline.history.forecast`: ICB's targets read off the simulated runs;
- :mod:`redline.history.calibration`: the mapping's global parameters by maximum likelihood;
- :mod:`redline.history.baselines`: climatology and logistic regression;
- :mod:`redline.history.backtest`: train on earlier crises, score on later ones.
"""
