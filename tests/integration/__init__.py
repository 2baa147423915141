"""Tests across the installation: packaging metadata, recipes, the command line."""
