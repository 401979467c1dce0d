"""Tests of qdev release."""

from __future__ import annotations
