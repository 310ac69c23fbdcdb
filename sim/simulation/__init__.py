"""Running a scenario: the compiled plan, the deterministic plan, the draws, the engines, where chunks
run and how a streamed run is reduced. Imports nothing from analysis, report or cli."""
