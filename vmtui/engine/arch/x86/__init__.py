"""x86 (arch/x86/mm/fault.c, the MMU's page walk and TLB, segmentation, the vDSO).
"""
