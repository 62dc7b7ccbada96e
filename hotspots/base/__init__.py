"""The foundations every layer may use: settings (``config``), dates and the service's clock
zone (``dates``), private files written whole (``files``), storage faults in words
(``faults``), logging that withholds what a person typed (``logs``) and the safe reading of a
URL's or a form's values (``params``). They import nothing else of the service."""
