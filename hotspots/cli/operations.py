"""Operations commands: backups and retention."""

commands: list = []
