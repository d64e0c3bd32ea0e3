"""Tests of redline.games: the closed-form games and the negotiation model."""
