"""The pure model: each domain rule once (``rules``), the score and its reasons
(``scoring``), the digest (``digest``), serious incidents' rules and the look-back
(``incidents``), the fairness report's arithmetic (``fairness``), children's characteristics
(``characteristics``), what a value may plausibly be (``plausibility``), NHS numbers, working
days, the review's pattern drawn at random (``review_sampler``), the calibration (``calibration``)
and the register of personal data held (``privacy``). No database, no Flask: functions of
their arguments, with the clock passed in."""
