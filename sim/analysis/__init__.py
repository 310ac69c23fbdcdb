"""What a run says: the Result and its statistics, sensitivity, impacts, summaries, samples, backtests
and sweeps. Imports nothing from report or cli."""
