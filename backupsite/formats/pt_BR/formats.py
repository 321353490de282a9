# "6 de Dezembro de 2026", "6 dez. 2026, 15:40".
DATE_FORMAT = r"j \d\e F \d\e Y"
SHORT_DATE_FORMAT = "j b. Y"
DATETIME_FORMAT = "j b. Y, H:i"
SHORT_DATETIME_FORMAT = "j b. Y, H:i"
TIME_FORMAT = "H:i"
YEAR_MONTH_FORMAT = r"F \d\e Y"
MONTH_DAY_FORMAT = r"j \d\e F"
