"""Reading a scenario: YAML with line marks, extends, every check, the resolved model, its forms and
reference data. Imports nothing from simulation, analysis, report or cli."""
