import CInflate
