"""
abc