"""The daemon as a whole: ``version``, ``info`` and ``system df`` (:mod:`.info`), and
LayerLab's own named states of the simulator, the baseline first (:mod:`.states`)."""
